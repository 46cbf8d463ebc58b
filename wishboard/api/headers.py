"""Headers of every answer under /api/: any web page may read the open data, and its licence.

CORS: the exports are public and read without cookies, so every answer under /api/ (data, 304s,
errors, the preflight) allows any origin with `*`, which browsers never combine with credentials:
no cookie or session of a visitor can ride along, so another site learns nothing it could not
download itself. Only GET and HEAD exist there; a preflight says so, and the ETag is exposed so
that a browser client can make conditional requests.

Each export also names its licence (and the page describing it) in a `Link` header, so that a
copy of a file keeps a pointer to its terms.
"""

from flask import Flask, Response, current_app, request, url_for

from ..services.open_data import export_for, link_header, site_licence

PREFIX = "/api/"
ALLOWED_METHODS = "GET, HEAD"
# If-None-Match is not a "simple" header: a script that sends it is preflighted first.
ALLOWED_HEADERS = "If-None-Match, If-Modified-Since"
EXPOSED_HEADERS = "ETag, Link, Retry-After, Content-Disposition"
PREFLIGHT_MAX_AGE_S = 24 * 3600


def init_app(app: Flask) -> None:
    """Add the open-data headers to every answer under /api/."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """CORS on anything under /api/; the licence on an export's data and its 304."""
    if not request.path.startswith(PREFIX):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.pop("Access-Control-Allow-Credentials", None)
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
    export = export_for(request.endpoint)
    if export is not None and response.status_code in (200, 304) and request.method != "OPTIONS":
        page = url_for("public.open_data", _anchor=f"export-{export.key}")
        response.headers["Link"] = link_header(export, site_licence(current_app.config), page)
    return response
