"""The shop-type taxonomy: loading it from the package's data file, and reading it."""

import csv
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ShopType, ShopTypeGroup


def _rows(filename: str) -> list[dict[str, str]]:
    with resources.files("wishboard.data").joinpath(filename).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_shop_types() -> int:
    """Create or update the groups and shop types of the data file; returns how many types.

    Running it again changes nothing; labels edited in the file are updated. Types missing from
    the file are left alone (an admin may have added them).
    """
    groups = {group.code: group for group in db.session.scalars(select(ShopTypeGroup))}
    for position, row in enumerate(_rows("shop_type_groups.csv")):
        group = groups.get(row["code"])
        if group is None:
            group = groups[row["code"]] = ShopTypeGroup(code=row["code"])
            db.session.add(group)
        group.label_fr, group.label_en, group.position = row["label_fr"], row["label_en"], position

    types = {shop_type.code: shop_type for shop_type in db.session.scalars(select(ShopType))}
    rows = _rows("shop_types.csv")
    for position, row in enumerate(rows):
        shop_type = types.get(row["code"])
        if shop_type is None:
            shop_type = ShopType(code=row["code"])
            db.session.add(shop_type)
        shop_type.group = groups[row["group"]]
        shop_type.label_fr, shop_type.label_en = row["label_fr"], row["label_en"]
        shop_type.position = position
    db.session.commit()
    return len(rows)


def active_groups() -> list[ShopTypeGroup]:
    """Groups in display order, each with its shop types, for choosing a type."""
    # The types in one more query, not one per group.
    query = (
        select(ShopTypeGroup)
        .options(selectinload(ShopTypeGroup.shop_types))
        .order_by(ShopTypeGroup.position)
    )
    return list(db.session.scalars(query))


def active_shop_type(code: str | None) -> ShopType | None:
    """The shop type with this OSM code, if it exists and may still be chosen."""
    # A code comes from a URL or a form: PostgreSQL refuses a NUL in a query, so never send one.
    if not code or len(code) > 80 or not code.isprintable():
        return None
    return db.session.scalars(
        select(ShopType).where(ShopType.code == code, ShopType.active.is_(True))
    ).one_or_none()
