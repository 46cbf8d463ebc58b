"""Where a page may send the visitor back to: only somewhere on this site."""

from urllib.parse import urlsplit


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
