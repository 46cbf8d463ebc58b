"""People planning to open a shop: their shop projects (issue #18)."""

from flask import Blueprint

bp = Blueprint("projects", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import views  # noqa: E402, F401
