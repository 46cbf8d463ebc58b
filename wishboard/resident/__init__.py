"""What a signed-in resident does: wish, support, withdraw, and manage their own data."""

from flask import Blueprint

bp = Blueprint("resident", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import confirm_views, notification_views, views  # noqa: E402, F401
