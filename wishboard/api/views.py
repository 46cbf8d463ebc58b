"""Open data: GeoJSON and CSV."""

from flask import Blueprint

bp = Blueprint("api", __name__)
