"""The public directory of open shops: filtered lists, one shop, and correction requests.

The directory is narrowed by the same kinds of filter as the premises (a shop type, a group of
types, a district) and by a piece of the shop's name. Requests to correct a listing are stored
for the moderators to handle; nothing in the listing changes until they do.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import (
    CorrectionStatus,
    District,
    Shop,
    ShopCorrection,
    ShopType,
    ShopTypeGroup,
)
from wishboard.services.geometry import BBox, within

# Long enough for any real shop name; a longer search is refused by the form.
SEARCH_MAX_LENGTH = 100
NAME_MAX_LENGTH = 120
MESSAGE_MAX_LENGTH = 2000
# A web address's scheme; a host with a port ("example.org:8080") looks like one but is not.
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
HOST_AND_PORT = re.compile(r"[^/:@]+\.[^/:@]+:[0-9]+(?:[/?#]|$)")
HOST = re.compile(r"(?:[\w-]+\.)+[\w-]+")


@dataclass(frozen=True)
class ShopFilter:
    """What a visitor narrowed the directory to; None means any."""

    shop_type: str | None = None  # a ShopType code
    group: str | None = None  # a ShopTypeGroup code
    district_id: int | None = None
    search: str | None = None  # a piece of the name, any case
    bbox: BBox | None = None  # the part of the map in view

    @property
    def narrows(self) -> bool:
        """True when some shops may be left out."""
        return any(
            value is not None
            for value in (self.shop_type, self.group, self.district_id, self.search, self.bbox)
        )


NO_FILTER = ShopFilter()


def _filtered(query: Select, filters: ShopFilter) -> Select:
    """`query` (over Shop, joined to its ShopType) narrowed to the shops matching `filters`."""
    if filters.shop_type is not None:
        query = query.where(ShopType.code == filters.shop_type)
    if filters.group is not None:
        in_group = select(ShopTypeGroup.id).where(ShopTypeGroup.code == filters.group)
        query = query.where(ShopType.group_id.in_(in_group.scalar_subquery()))
    if filters.district_id is not None:
        query = query.where(Shop.district_id == filters.district_id)
    if filters.search:
        # autoescape: a "%" or "_" typed by the visitor is a character, not a wildcard.
        query = query.where(func.lower(Shop.name).contains(filters.search.lower(), autoescape=True))
    if filters.bbox is not None:
        query = query.where(within(filters.bbox, Shop.latitude, Shop.longitude))
    return query


def directory(filters: ShopFilter = NO_FILTER) -> Select[tuple[Shop]]:
    """The shops matching `filters` with their type and district, by name (to paginate)."""
    query = (
        select(Shop)
        .join(Shop.shop_type)
        .options(contains_eager(Shop.shop_type), joinedload(Shop.district))
    )
    return _filtered(query, filters).order_by(dictionary_order(Shop.name), Shop.id)


def map_shops(filters: ShopFilter = NO_FILTER) -> list[Row]:
    """id, name, reference, type code and labels, address, district, position of matching shops."""
    query = (
        select(
            Shop.id,
            Shop.name,
            Shop.reference,
            ShopType.code,
            ShopType.label_fr,
            ShopType.label_en,
            Shop.address,
            Shop.postcode,
            Shop.city,
            District.name.label("district"),
            Shop.latitude,
            Shop.longitude,
        )
        .join(ShopType, ShopType.id == Shop.shop_type_id)
        .outerjoin(District, District.id == Shop.district_id)
        .order_by(Shop.id)
    )
    return db.session.execute(_filtered(query, filters)).all()


def get_shop(shop_id: int) -> Shop | None:
    """The shop with its type and district, or None."""
    return db.session.get(
        Shop, shop_id, options=[joinedload(Shop.shop_type), joinedload(Shop.district)]
    )


def request_correction(shop: Shop, name: str, email: str, message: str) -> ShopCorrection:
    """Store what `name` (at `email`) asks staff to correct in `shop`'s listing, and commit."""
    correction = ShopCorrection(
        shop=shop,
        requester_name=name.strip(),
        requester_email=email.strip().lower(),
        message=message.strip(),
        status=CorrectionStatus.OPEN,
    )
    db.session.add(correction)
    db.session.commit()
    return correction


def web_address(value: str) -> str | None:
    """`value` as an http(s) address ("https://" added when it has no scheme), or None.

    None too for any other scheme (`javascript:`, `mailto:`, `data:`…) or no usable host: the one
    rule for a shop's website and social address, typed by staff or imported.
    """
    text = value.strip()
    if not text or any(char.isspace() or not char.isprintable() for char in text):
        return None
    scheme = SCHEME.match(text)
    if scheme and not HOST_AND_PORT.match(text):
        if scheme.group(1).lower() not in ("http", "https") or not text[scheme.end() :].startswith(
            "//"
        ):
            return None  # javascript:, mailto:, data:… or "http:example.fr"
        text = scheme.group(1).lower() + text[scheme.end() - 1 :]
    else:
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    if not host or not HOST.fullmatch(host):
        return None
    return text


def web_link(url: str | None) -> str | None:
    """`url` when it is safe to link to (http or https), else None: other schemes run code."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def link_text(url: str) -> str:
    """A web address as people read it: without its scheme, "www." or a final slash."""
    text = url.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    if text.lower().startswith("www."):
        text = text[4:]
    return text.rstrip("/") or url
