"""Atom feeds of the premises (RFC 4287): the town's, and each district's.

Anyone may follow what becomes of the empty shops without visiting the site: premises added as
vacant, let (and to what), vacant again. Built once per data version, like the GeoJSON, with an
ETag; in the visitor's language (a feed reader sends its own Accept-Language).
"""

import re
from datetime import datetime

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..caching import cached_data
from ..extensions import db
from ..models import District, utcnow
from ..services.premises.events import EventKind, PremisesEvent, public_events
from ..urls import LARGEST_ID
from . import bp

ATOM = "application/atom+xml"
# What XML 1.0 cannot hold at all, escaped or not (U+FFFE, U+FFFF, the C0 controls): a stored text
# that has one (an old import) loses it in the feed rather than making the whole feed unreadable.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@bp.get("/feeds/town.atom")
def town_feed() -> ResponseReturnValue:
    """The town's feed: the latest steps in the life of every premises."""
    return cached_data(lambda: _feed(None), ATOM)


@bp.get(f"/feeds/districts/<int(max={LARGEST_ID}):district_id>.atom")
def district_feed(district_id: int) -> ResponseReturnValue:
    """One district's feed; 404 for a district that does not exist."""
    db.get_or_404(District, district_id)
    return cached_data(lambda: _feed(district_id), ATOM)


def _feed(district_id: int | None) -> bytes:
    site = current_app.config["WISHBOARD_SITE_NAME"]
    if district_id is None:
        title = _("Empty premises and new shops: %(site)s", site=site)
        self_url = url_for("public.town_feed", _external=True)
        page_url = url_for("public.premises_list", _external=True)
    else:
        district = db.session.get(District, district_id)
        title = _(
            "Empty premises and new shops in %(district)s: %(site)s",
            district=district.name,
            site=site,
        )
        self_url = url_for("public.district_feed", district_id=district_id, _external=True)
        page_url = url_for("public.premises_list", district=district_id, _external=True)
    locale = str(get_locale())
    entries = [_entry(event, locale) for event in public_events(district_id)]
    body = render_template(
        "feeds/premises.xml",
        title=NOT_XML.sub("", title),
        site=site,
        self_url=self_url,
        page_url=page_url,
        home_url=url_for("public.index", _external=True),
        entries=entries,
        # A feed without entries is as new as the moment it is read.
        updated=entries[0]["updated"] if entries else _atom_date(utcnow()),
        locale=locale,
    )
    return body.encode("utf-8")


def _entry(event: PremisesEvent, locale: str) -> dict[str, str]:
    """An event as an Atom entry: a lasting id, a title and a summary in words, its premises."""
    premises = event.premises
    address, district = premises.address, premises.district.name
    if event.kind is EventKind.VACANT:
        title = _("Empty premises: %(address)s", address=address)
        summary = _(
            "An empty shop unit in %(district)s. Say which shop you would like here.",
            district=district,
        )
    elif event.kind is EventKind.REOPENED:
        title = _("Empty again: %(address)s", address=address)
        summary = _(
            "This shop unit in %(district)s is empty again. Say which shop you would like here.",
            district=district,
        )
    elif event.shop_type is None:
        title = _("Let: %(address)s", address=address)
        summary = _("A shop has opened at %(address)s.", address=address)
    else:
        label = event.shop_type.label(locale)
        title = _("Let: %(address)s, now %(shop_type)s", address=address, shop_type=label)
        summary = " ".join(
            [
                _("A shop has opened: %(shop_type)s.", shop_type=label),
                ngettext(
                    "%(num)d resident had asked for one here.",
                    "%(num)d residents had asked for one here.",
                    event.asked,
                )
                if event.asked
                else "",
            ]
        ).strip()
    # A tag URI (RFC 4151): the site's host and the audit event's id never change.
    host = request.host.split(":")[0]
    return {
        "id": f"tag:{host},2024:wishboard:premises-event:{event.id}",
        "title": NOT_XML.sub("", title),
        "summary": NOT_XML.sub("", summary),
        "kind": event.kind.value,
        "url": url_for("public.premises_detail", premises_id=premises.id, _external=True),
        "updated": _atom_date(event.at),
    }


def _atom_date(moment: datetime) -> str:
    """A UTC time as Atom writes it (RFC 3339): 2026-12-04T15:30:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
