"""Where a page may send the visitor back to: only somewhere on this site."""

from urllib.parse import urlsplit

from flask import url_for

from .models import Role, User

# Where each role starts after signing in when no page asked for them: its own work.
HOME_BY_ROLE = {
    Role.RESIDENT: "public.index",
    Role.LANDLORD: "landlord.index",
    Role.ENTREPRENEUR: "projects.mine",
    Role.MODERATOR: "moderation.queue",
    Role.ADMIN: "moderation.queue",
}


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, None for anything that could leave it."""
    if not target or not target.startswith("/") or "\\" in target:
        return None
    if any(ord(character) < 32 for character in target):
        return None
    parts = urlsplit(target)
    # "//host/x" has no scheme but a host: a browser would leave the site.
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user: User) -> str:
    """The page `user` starts on after signing in: the map, their premises or the queue."""
    return url_for(HOME_BY_ROLE.get(user.role, "public.index"))


def after_sign_in(user: User, target: str | None) -> str:
    """Where to go after signing in: `target` when it is on this site, else `user`'s home."""
    return local_path(target) or home_for(user)
