"""The one seam that decides between a whole page and an HTMX fragment."""

from collections.abc import Callable

from flask import flash, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from jinja2_fragments.flask import render_block


def is_htmx_request() -> bool:
    """True for a request htmx made to swap part of a page (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Boosted") != "true"  # a boosted link wants the whole page
    )


def render(
    template: str, block: str | None = None, status: int = 200, **context
) -> ResponseReturnValue:
    """Render `block` of `template` for htmx, the whole page otherwise."""
    if block is not None and is_htmx_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def after_change(
    target_url: str,
    notice: str,
    fragment: Callable[[], ResponseReturnValue],
    category: str = "success",
) -> ResponseReturnValue:
    """After a POST: the updated fragment for htmx; for a plain form, the notice and a 303."""
    if is_htmx_request():
        return fragment()
    flash(notice, category)
    return redirect(target_url, 303)


def fragment_or_page(
    fragment: Callable[[], ResponseReturnValue], page: Callable[[], ResponseReturnValue]
) -> ResponseReturnValue:
    """An answer in place: `fragment` for htmx, the whole `page` for a plain request."""
    return fragment() if is_htmx_request() else page()


def go_to(target_url: str) -> ResponseReturnValue:
    """Leave the page for `target_url`: htmx follows `HX-Redirect`, a plain form a 303."""
    if is_htmx_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target_url
        return response
    return redirect(target_url, 303)
