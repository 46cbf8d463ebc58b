"""The landlord's pages: their premises, and each premises' demand report as HTML, PDF and CSV."""

from flask import Blueprint

bp = Blueprint("landlord", __name__)
