# The two commands: `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test test-postgres lint format clean gtk build check-build deb check-deb bench-scale vendor

$(BIN)/python:
	@echo "Creating the virtualenv in $(VENV)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt requirements-server.txt | $(BIN)/python
	@echo "Installing Kaap's dependencies (Flask, pywebview and Qt WebEngine, about 500 MB) into $(VENV)."
	@echo "The first time takes a minute or two, with no output meanwhile."
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Wheels only: nothing compiles (PyGObject is `make gtk`, PyInstaller `make build`).
$(VENV)/.dev: requirements.txt requirements-server.txt requirements-dev.txt | $(BIN)/python
	@echo "Installing Kaap's dependencies and its test tools (pytest, ruff, Playwright) into $(VENV)."
	@echo "The first time takes a minute or two, with no output meanwhile."
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## run: start Kaap, the desktop app, from source (ARGS="--data-dir DIR --debug --gui qt").
run: $(VENV)/.runtime
	$(BIN)/python -m desktop $(ARGS)

## serve: the web app alone on waitress (HOST, PORT, KAAP_DATA_DIR override).
serve: $(VENV)/.runtime
	$(BIN)/python -m webapp.serve --host $(HOST) --port $(PORT)

## test: ruff, then the whole pytest suite.
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## test-postgres: the API suite and the multi-process sync suite on the PostgreSQL database
## KAAP_TEST_DATABASE_URL names.
test-postgres: $(VENV)/.dev
	@test -n "$$KAAP_TEST_DATABASE_URL" || { echo "Set KAAP_TEST_DATABASE_URL=postgresql+psycopg://..."; exit 2; }
	$(BIN)/python -m pytest tests/notes tests/labels tests/api tests/images tests/transfer tests/search tests/accounts tests/drafts tests/settings tests/sync tests/reminders tests/history

lint: $(VENV)/.dev
	$(BIN)/ruff check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## vendor: refresh webapp/static/vendor from npm at package.json's versions (needs npm).
vendor:
	bash build_scripts/vendor.sh

## bench-scale: list and search latency at 10,000 and 100,000 notes, into bench/RESULTS.md.
bench-scale: $(VENV)/.runtime
	$(BIN)/python bench/scale.py

## gtk: PyGObject, for the GTK window (preferred when it loads; the GTK window tests need it).
## It compiles: apt-get install libcairo2-dev libgirepository1.0-dev pkg-config gir1.2-webkit2-4.1.
gtk: $(VENV)/.gtk

$(VENV)/.gtk: requirements-gtk.txt | $(BIN)/python
	@echo "Installing Kaap's dependencies for the GTK window (PyGObject, compiled against the system's GTK) into $(VENV)."
	@echo "The first time takes a minute or two, with no output meanwhile."
	$(BIN)/pip install --quiet -r requirements-gtk.txt
	touch $@

$(VENV)/.build: requirements.txt requirements-server.txt requirements-gtk.txt requirements-build.txt | $(BIN)/python
	@echo "Installing Kaap's dependencies and PyInstaller into $(VENV)."
	@echo "The first time takes a minute or two, with no output meanwhile."
	$(BIN)/pip install --quiet -r requirements-build.txt
	touch $(VENV)/.runtime $(VENV)/.gtk $@

## build: PyInstaller: Linux: the one-file dist/Kaap and the folder dist/kaap/ (for the .deb),
## from one Analysis; Kaap.exe, Kaap.app elsewhere.
build: $(VENV)/.build
	$(BIN)/python build_scripts/build.py

## check-build: build, then the size limit and the self-test of both builds (under xvfb-run).
check-build: build
	$(BIN)/python build_scripts/check_build.py

## deb: the Debian/Ubuntu package dist/kaap_<version>_<arch>.deb (dpkg-deb), from dist/kaap/;
## PyInstaller runs again only if that folder is older than its sources.
deb: $(VENV)/.build
	$(BIN)/python build_scripts/deb.py

## check-deb: as root, install the package with apt, run its menu entry's command with
## --self-test (under xvfb-run), check its files, then remove it. CI runs it.
check-deb: deb
	$(BIN)/python build_scripts/check_deb.py
