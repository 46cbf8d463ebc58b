"""Who may use a blueprint: one check per audience, run before every one of its views."""

from collections.abc import Callable

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .extensions import login_manager
from .models import Role


def require_role(*roles: Role) -> Callable[[], ResponseReturnValue | None]:
    """A `before_request` check: visitors are sent to sign in, other roles get a 403."""

    def check() -> ResponseReturnValue | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return None

    return check
