"""Public pages: the map, the list of premises, one premises, health and language."""

from flask import Blueprint

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return "map"


@bp.get("/premises")
def premises_list():
    return "list"


@bp.get("/language/<code>")
def set_language(code: str):
    return code
