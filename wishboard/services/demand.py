"""Demand: how many residents support each shop type at each premises.

Every number of demand shown anywhere comes from here, so that they are always the same.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Premises, PremisesStatus, ShopType, Support

# How many shop types a summary of demand names (the list, the map's popups).
TOP_TYPES = 3


@dataclass(frozen=True)
class Demand:
    """How many residents support one shop type at one premises."""

    shop_type: ShopType
    count: int


def _ranked_rows(*conditions):
    """(premises id, shop type, count) of the supports meeting `conditions`, most first."""
    count = func.count(Support.id).label("count")
    query = (
        select(Support.premises_id, ShopType, count)
        .join(ShopType, ShopType.id == Support.shop_type_id)
        .where(*conditions)
        .group_by(Support.premises_id, ShopType.id)
        .order_by(Support.premises_id, count.desc(), ShopType.position)
    )
    return db.session.execute(query)


def _demand_rows(premises_ids: Iterable[int]):
    """(premises id, shop type, count) for the given premises, most supported first."""
    return _ranked_rows(Support.premises_id.in_(list(premises_ids)))


def demand_for(premises: Premises) -> list[Demand]:
    """The demand at one premises, ranked by support then by taxonomy order."""
    return [Demand(shop_type, count) for _, shop_type, count in _demand_rows([premises.id])]


def demand_by_premises(premises_ids: Iterable[int]) -> dict[int, list[Demand]]:
    """Ranked demand for many premises in one query, keyed by premises id."""
    ranked: dict[int, list[Demand]] = defaultdict(list)
    for premises_id, shop_type, count in _demand_rows(premises_ids):
        ranked[premises_id].append(Demand(shop_type, count))
    return ranked


def total_support(demands: list[Demand]) -> int:
    """The number of supports behind a ranked demand list."""
    return sum(demand.count for demand in demands)


def demand_by_status(statuses: Iterable[PremisesStatus]) -> list[tuple[int, Demand]]:
    """(premises id, demand) at every premises with one of `statuses`, by premises id then rank."""
    wanted = select(Premises.id).where(Premises.status.in_(list(statuses)))
    return [
        (premises_id, Demand(shop_type, count))
        for premises_id, shop_type, count in _ranked_rows(Support.premises_id.in_(wanted))
    ]
