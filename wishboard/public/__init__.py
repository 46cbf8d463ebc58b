"""The public blueprint."""

from flask import Blueprint

bp = Blueprint("public", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import data_views, feed_views, shop_views, stats_views, views  # noqa: E402, F401
