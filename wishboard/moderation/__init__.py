"""City staff: the review queue, flags, premises management and the audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import audit_views, outbox_views, premises_views, shop_views, views  # noqa: E402, F401
