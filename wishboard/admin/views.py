"""Administrators' pages: accounts and roles, and the shop-type taxonomy."""

from flask import Blueprint

from ..access import require_role
from ..models import Role

bp = Blueprint("admin", __name__)
bp.before_request(require_role(Role.ADMIN))
