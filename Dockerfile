# Kaap as a server. Two images from one file (build context: this repository):
#   docker build -t kaap .                  the app on waitress (the default, last stage)
#   docker build -t kaap-web --target web . nginx with Kaap's static files and deploy/nginx.conf
# compose.yaml builds both and adds PostgreSQL; README "Hosting Kaap" says how to run them.

FROM nginx:1.27-alpine AS web
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf
# The same files the app ships, copied at build time, so nginx and the app never disagree.
COPY webapp/static /srv/kaap/static

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home kaap \
    && install -d -o kaap -g kaap /data
WORKDIR /app
# The server's dependencies only: requirements.txt would add the desktop window (Qt, 200 MB).
COPY requirements-server.txt ./
RUN pip install -r requirements-server.txt
COPY webapp ./webapp

USER kaap
# /data holds uploaded images and import/export scratch files; notes live in PostgreSQL.
ENV KAAP_CONFIG=production \
    KAAP_DATA_DIR=/data \
    PORT=5000
VOLUME ["/data"]
EXPOSE 5000
# The slim image has no curl: Python asks /healthz (503, and so a failure, without a database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=4)"]
# Every address inside the container, but only the host names in KAAP_TRUSTED_HOSTS (and
# 127.0.0.1, localhost) are answered: set it to the names people use (compose.yaml does).
ENV KAAP_TRUSTED_HOSTS=localhost
CMD ["python", "-m", "webapp.serve", "--host", "0.0.0.0"]
