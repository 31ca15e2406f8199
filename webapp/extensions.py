"""Extensions, created once here and bound to the app with ``init_app``."""

from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# A request's session ends with its request: nothing gains from reloading every object after
# a commit, and serialising a just-saved note would cost a second round of queries.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
