"""Landlords: their premises, each one's demand report, summaries by e-mail, marking as let.

A landlord with an account signs in; one without opens a premises through the signed link of
the summary e-mail. Staff read every report.
"""

from flask import Blueprint

bp = Blueprint("landlord", __name__)

# The view modules add their routes to bp (the Flask way): imported last, once bp exists.
from . import let_views, mail_views, views  # noqa: E402, F401
