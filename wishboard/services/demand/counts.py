"""Demand: how many residents support each shop type at each premises.

Every number of demand shown anywhere comes from here, so that they are always the same.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, select

from wishboard.extensions import db
from wishboard.models import DemandCount, Premises, PremisesStatus, ShopType

# How many shop types a summary of demand names (the list, the map's popups).
TOP_TYPES = 3


@dataclass(frozen=True)
class Demand:
    """How many residents support one shop type at one premises."""

    shop_type: ShopType
    count: int


def _ranked_rows(*conditions) -> list[tuple[int, ShopType, int]]:
    """(premises id, shop type, count) of the demand meeting `conditions`, most first."""
    # The counts are kept per (premises, shop type) by the database (models/demand.py): no
    # page counts the supports themselves, however many there are.
    query = (
        select(DemandCount.premises_id, DemandCount.shop_type_id, DemandCount.supports)
        .join(ShopType, ShopType.id == DemandCount.shop_type_id)
        .where(DemandCount.supports > 0, *conditions)
        .order_by(DemandCount.premises_id, DemandCount.supports.desc(), ShopType.position)
    )
    rows = db.session.execute(query).all()
    shop_types = shop_types_by_id({shop_type_id for _, shop_type_id, _ in rows})
    return [(premises_id, shop_types[type_id], count) for premises_id, type_id, count in rows]


def shop_types_by_id(ids: set[int]) -> dict[int, ShopType]:
    """The shop types with these ids, in one query."""
    # Not joined to the demand rows: loading one with each of thousands of rows would cost
    # more than the counting.
    if not ids:
        return {}
    return {t.id: t for t in db.session.scalars(select(ShopType).where(ShopType.id.in_(ids)))}


def _demand_rows(premises_ids: Iterable[int]):
    """(premises id, shop type, count) for the given premises, most supported first."""
    return _ranked_rows(DemandCount.premises_id.in_(list(premises_ids)))


def demand_for(premises: Premises) -> list[Demand]:
    """The demand at one premises, ranked by support then by taxonomy order."""
    return [Demand(shop_type, count) for _, shop_type, count in _demand_rows([premises.id])]


def count_for(premises: Premises, shop_type: ShopType) -> int:
    """How many residents support `shop_type` at `premises`."""
    return (
        db.session.scalar(
            select(DemandCount.supports).where(
                DemandCount.premises_id == premises.id, DemandCount.shop_type_id == shop_type.id
            )
        )
        or 0
    )


def demand_by_premises(premises_ids: Iterable[int]) -> dict[int, list[Demand]]:
    """Ranked demand for many premises in one query, keyed by premises id."""
    ranked: dict[int, list[Demand]] = defaultdict(list)
    for premises_id, shop_type, count in _demand_rows(premises_ids):
        ranked[premises_id].append(Demand(shop_type, count))
    return ranked


def total_support(demands: list[Demand]) -> int:
    """The number of supports behind a ranked demand list."""
    return sum(demand.count for demand in demands)


def demand_within(premises_ids: Select) -> dict[int, list[Demand]]:
    """Ranked demand at the premises whose ids `premises_ids` selects, keyed by premises id."""
    ranked: dict[int, list[Demand]] = defaultdict(list)
    for premises_id, shop_type, count in _ranked_rows(DemandCount.premises_id.in_(premises_ids)):
        ranked[premises_id].append(Demand(shop_type, count))
    return ranked


def demand_by_status(statuses: Iterable[PremisesStatus]) -> list[tuple[int, Demand]]:
    """(premises id, demand) at every premises with one of `statuses`, by premises id then rank."""
    wanted = select(Premises.id).where(Premises.status.in_(list(statuses)))
    return [
        (premises_id, Demand(shop_type, count))
        for premises_id, shop_type, count in _ranked_rows(DemandCount.premises_id.in_(wanted))
    ]


def asked_for(demand: list[Demand], shop_type: ShopType | None) -> int:
    """How many residents supported `shop_type` in `demand` (what a let premises became)."""
    if shop_type is None:
        return 0
    return next((item.count for item in demand if item.shop_type.id == shop_type.id), 0)
