"""What browsers and crawlers ask for at the root: /robots.txt, /sitemap.xml, /favicon.ico.

robots.txt keeps crawlers off the pages that are nobody's search result: staff, landlords',
accounts', signed links, actions, the data files under /api/ (the /data page describes them).
The sitemap lists the public pages: home, the lists, each district's list of premises, each
premises on the map (vacant or let) and each shop of the directory, in absolute URLs. It is built
once per data version, like the open data. A sitemap file holds at most 50,000 URLs (the
sitemaps protocol): past that, /sitemap.xml is an index of parts, /sitemaps/1.xml, 2.xml…
"""

from html import escape

from flask import abort, current_app, request, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..caching import by_version, cached_data
from ..extensions import db
from ..models import District, Premises, Shop
from ..services.premises.listing import map_premises_ids
from ..urls import LARGEST_ID
from . import bp

# The sitemaps protocol's limit for one file (https://www.sitemaps.org/protocol.html).
SITEMAP_MAX_URLS = 50_000
SITEMAP_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML = "application/xml"
# Path prefixes that no search result should lead to. A prefix ends with "/" where the paths
# below it are private and the page itself may be public.
NOT_FOR_CRAWLERS = (
    "/admin/",
    "/moderation/",
    "/landlord/",  # landlords' pages and their signed links
    "/projects/",
    "/me",  # the account, its wishes, settings and data
    "/auth/",
    "/notifications/",  # signed links of the residents' e-mails
    "/supports/",
    "/wishes/",  # reporting a comment
    "/area-wishes/",
    "/language/",
    "/p/",  # a poster's QR code: each visit counts as a scan
    "/api/",  # data files, described on /data
    "/healthz",
)
# Any id: swapped for each row's, so that 50,000 URLs cost 3 url_for calls, not 50,000.
_ID = 987654321


@bp.get("/robots.txt")
def robots_txt() -> ResponseReturnValue:
    """Which paths crawlers may read, and where the sitemap is."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in NOT_FOR_CRAWLERS)]
    lines += ["", f"Sitemap: {url_for('public.sitemap', _external=True)}", ""]
    return "\n".join(lines), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The site's icon where browsers look for it without a <link rel="icon">."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """The public pages; an index of the parts when they are more than one file may hold."""
    return cached_data(_sitemap_or_index, XML, per_language=False)


@bp.get(f"/sitemaps/<int(min=1, max={LARGEST_ID}):part>.xml")
def sitemap_part(part: int) -> ResponseReturnValue:
    """Part `part` (from 1) of the public pages, when /sitemap.xml is an index."""
    return cached_data(lambda: _part(part), XML, per_language=False)


def _sitemap_or_index() -> bytes:
    urls = public_urls()
    if len(urls) <= SITEMAP_MAX_URLS:
        return _urlset(urls)
    parts = range(1, (len(urls) - 1) // SITEMAP_MAX_URLS + 2)
    entries = "".join(
        f"<sitemap><loc>{escape(url_for('public.sitemap_part', part=n, _external=True))}</loc>"
        "</sitemap>\n"
        for n in parts
    )
    return _xml(f'<sitemapindex xmlns="{SITEMAP_XMLNS}">\n{entries}</sitemapindex>')


def _part(part: int) -> bytes:
    urls = public_urls()
    start = (part - 1) * SITEMAP_MAX_URLS
    if len(urls) <= SITEMAP_MAX_URLS or start >= len(urls):
        abort(404)  # no index, so no parts; or past the last one
    return _urlset(urls[start : start + SITEMAP_MAX_URLS])


def _urlset(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>\n" for url in urls)
    return _xml(f'<urlset xmlns="{SITEMAP_XMLNS}">\n{entries}</urlset>')


def _xml(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def public_urls() -> list[str]:
    """Every public page's absolute URL, built once per data version and host in a worker."""
    return by_version(("public_urls", request.host_url), _public_urls)


def _public_urls() -> list[str]:
    lists = (
        "public.index",
        "public.premises_list",
        "public.shop_list",
        "public.gaps",
        "public.opportunities_page",
        "public.stats",
        "public.open_data",
    )
    urls = [url_for(endpoint, _external=True) for endpoint in lists]
    districts = db.session.scalars(select(District.id).order_by(District.id))
    premises = db.session.scalars(map_premises_ids().order_by(Premises.id))
    shops = db.session.scalars(select(Shop.id).order_by(Shop.id))
    for endpoint, name, ids in (
        ("public.premises_list", "district", districts),
        ("public.premises_detail", "premises_id", premises),
        ("public.shop_detail", "shop_id", shops),
    ):
        pattern = url_for(endpoint, _external=True, **{name: _ID})
        urls.extend(pattern.replace(str(_ID), str(row_id)) for row_id in ids)
    return urls
