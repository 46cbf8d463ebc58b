"""Administrators: accounts and roles, and the shop-type taxonomy."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import views  # noqa: E402, F401
