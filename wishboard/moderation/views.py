"""Moderators' pages: the review queue, flags and the audit log."""

from flask import Blueprint

from ..access import require_role
from ..models import Role

bp = Blueprint("moderation", __name__)
bp.before_request(require_role(Role.MODERATOR))
