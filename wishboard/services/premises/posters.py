"""Window posters: a printable page for each empty premises, and the scans of its QR code.

A poster asks passers-by "What shop would you like here?" and carries the premises' address, its
three most wished shop types so far, the town's name and logo, and a QR code of the premises'
short address (`/p/<id>`). The QR code is drawn by segno as SVG, so it stays sharp at any print
size; WeasyPrint renders the posters as it renders the demand reports (reports/formats.py).

Following the short address counts one scan for the premises and the day, and nothing else: not
who scanned, nor from where. An address counts once per premises and `WISHBOARD_LIMIT_SCAN`
window (limits.py), so that reloading does not inflate the number.
"""

import base64
import enum
import mimetypes
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from wishboard.collation import sort_key
from wishboard.extensions import db
from wishboard.models import District, PosterScan, Premises, PremisesStatus
from wishboard.services.demand.counts import TOP_TYPES, Demand, demand_by_premises


class PosterSize(enum.StrEnum):
    """The paper a poster is printed on."""

    A4 = "a4"
    A3 = "a3"


@dataclass(frozen=True)
class Poster:
    """Everything one poster shows."""

    premises: Premises
    short_url: str
    qr_svg: str  # an <svg> element drawn by segno from `short_url`
    top: tuple[Demand, ...]  # the most wished types so far, most first


def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline SVG element, black on white, with its quiet zone."""
    # Error correction Q (25 %): a poster behind a dirty or sunlit window still reads.
    code = segno.make(url, error="q", micro=False)
    return code.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True)


def posters(premises: list[Premises], short_url_of) -> list[Poster]:
    """The posters of `premises` (in that order); `short_url_of(premises)` gives each QR's URL.

    Two queries whatever the number of premises.
    """
    demand = demand_by_premises(place.id for place in premises)
    result = []
    for place in premises:
        url = short_url_of(place)
        top = tuple(demand.get(place.id, [])[:TOP_TYPES])
        result.append(Poster(place, url, qr_svg(url), top))
    return result


def district_premises(district: District) -> list[Premises]:
    """The vacant premises of `district`, by address: the windows that need a poster."""
    places = db.session.scalars(
        select(Premises).where(
            Premises.district_id == district.id, Premises.status == PremisesStatus.VACANT
        )
    ).all()
    return sorted(places, key=lambda place: sort_key(place.address))


def record_scan(premises: Premises, day: date) -> None:
    """Count one scan of `premises`' poster on `day` (one statement); commits."""
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(PosterScan)
        .values(premises_id=premises.id, day=day, scans=1)
        .on_conflict_do_update(
            index_elements=[PosterScan.premises_id, PosterScan.day],
            set_={"scans": PosterScan.scans + 1},
        )
    )
    db.session.execute(statement)
    db.session.commit()


def scans_of(premises: Premises) -> int:
    """How many times `premises`' poster was scanned, all days together."""
    total = select(func.coalesce(func.sum(PosterScan.scans), 0)).where(
        PosterScan.premises_id == premises.id
    )
    return db.session.scalar(total)


def inline_logo(logo_url: str, static_folder: str | Path) -> str | None:
    """The town's logo as a data: URL for a PDF, when it is a file of this site's static folder.

    A PDF fetches nothing (reports/formats.py); a logo on another site is left out, and the
    poster shows the town's name alone.
    """
    if not logo_url.startswith("/static/"):
        return None
    root = Path(static_folder).resolve()
    path = (root / logo_url.removeprefix("/static/")).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    mimetype = mimetypes.guess_type(path.name)[0]
    if mimetype not in ("image/svg+xml", "image/png", "image/jpeg", "image/webp"):
        return None
    return f"data:{mimetype};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
