"""The public blueprint."""

from flask import Blueprint

bp = Blueprint("public", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import (  # noqa: E402, F401
    data_views,
    feed_views,
    opportunities_views,
    shop_views,
    site_files_views,
    stats_views,
    views,
)
