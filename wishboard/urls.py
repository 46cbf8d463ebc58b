"""URL arguments every blueprint reads the same way (ids, page numbers, the CSV variant), links
for e-mails, and each page's canonical URL."""

from flask import abort, current_app, has_request_context, request, url_for

from .services.csv_export import CsvVariant

# Ids and page numbers past a 32-bit integer exist nowhere; the database would refuse them.
LARGEST_ID = 2**31 - 1


def page_number() -> int:
    """The `page` query argument; anything but a positive whole number does not exist (404)."""
    raw = request.args.get("page", "1")
    # ASCII digits only ("²" and "١" are digits to Python too), and few enough for the database.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= LARGEST_ID:
        abort(404)
    return int(raw)


def csv_variant() -> CsvVariant:
    """The `variant` query argument of a CSV download: standard when absent; unknown is a 400."""
    raw = request.args.get("variant", CsvVariant.STANDARD.value)
    try:
        return CsvVariant(raw)
    except ValueError:
        abort(400)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for an e-mail: the request's host, or `WISHBOARD_BASE_URL` outside a request.

    The command line (`wishboard send-reports`) has no request to take the host from.
    """
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["WISHBOARD_BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


# The query arguments that make a page of its own: a district's list, a page of a list after the
# first. Any other (a filter, an order, htmx's, a tracker's utm_*) is a view of the same page.
CANONICAL_ARGS = ("district", "page")


def canonical_url() -> str | None:
    """This page's one address, for search engines and shared links: absolute, with only its
    CANONICAL_ARGS (page 1 is the page without `page`); None for an error page."""
    if request.endpoint is None or request.view_args is None:
        return None
    args = {
        name: value
        for name in CANONICAL_ARGS
        if (value := request.args.get(name, "")).isascii()
        and value.isdigit()
        and 1 <= int(value) <= LARGEST_ID
        and not (name == "page" and int(value) == 1)
    }
    return external_url(request.endpoint, **request.view_args, **args)
