"""The evidence sheet: on one page, the demand for one shop type at one premises.

For a person planning to open that shop, to show a bank or a landlord: how many residents want it
there now and how recently, how it ranks among the types wished there, the wishes pinned around,
the shops of that type already open within the radius (none: a gap), the same demand across the
district's vacant premises, and what residents wrote. Everything on it is public on the site
already (no resident is named); the numbers are those of the map and the reports.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    Premises,
    PremisesStatus,
    ShopType,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.services.demand.area import area_demand_near
from wishboard.services.demand.counts import demand_for
from wishboard.services.demand.freshness import RECENT_DAYS, recent_supports
from wishboard.services.demand.gaps import shops_near
from wishboard.services.reports.report import NearbyShop

# How many comments the sheet quotes (the newest).
COMMENTS_SHOWN = 5


@dataclass(frozen=True)
class Evidence:
    """The demand for `shop_type` at `premises`, as of `generated_at`."""

    premises: Premises
    shop_type: ShopType
    generated_at: datetime
    radius_m: int
    supports: int  # residents who want the type here now (counted supports)
    recent: int  # of them, given or confirmed in the last RECENT_DAYS days
    all_supports: int  # every type together, here
    rank: int | None  # among the types wished here (1: the most); None when nobody asked
    types_wished: int
    area_wishes: int  # wishes for the type pinned on a spot within the radius
    shops: tuple[NearbyShop, ...]  # open shops of the type within the radius, nearest first
    district_supports: int  # residents who want the type at the district's vacant premises
    district_premises: int  # how many of the district's vacant premises they want it at
    comments: tuple[str, ...]  # the newest published comments for the type here

    @property
    def recent_days(self) -> int:
        return RECENT_DAYS

    @property
    def share_percent(self) -> int:
        """The type's share of all the supports here, in whole percent."""
        return round(self.supports * 100 / self.all_supports) if self.all_supports else 0


def build_evidence(
    premises: Premises, shop_type: ShopType, radius_m: int, now: datetime | None = None
) -> Evidence:
    """The evidence sheet of `shop_type` at `premises` (a fixed number of queries)."""
    now = now or utcnow()
    demand = demand_for(premises)
    ranks = {item.shop_type.id: rank for rank, item in enumerate(demand, start=1)}
    supports = next((item.count for item in demand if item.shop_type.id == shop_type.id), 0)
    area = area_demand_near(premises.latitude, premises.longitude, radius_m)
    near = shops_near(premises.latitude, premises.longitude, [shop_type.id], radius_m)
    district_supports, district_premises = db.session.execute(
        select(func.coalesce(func.sum(DemandCount.supports), 0), func.count())
        .join(Premises, Premises.id == DemandCount.premises_id)
        .where(
            Premises.district_id == premises.district_id,
            Premises.status == PremisesStatus.VACANT,
            DemandCount.shop_type_id == shop_type.id,
            DemandCount.supports > 0,
        )
    ).one()
    comments = db.session.scalars(
        select(Wish.comment)
        .where(
            Wish.premises_id == premises.id,
            Wish.shop_type_id == shop_type.id,
            Wish.status == WishStatus.PUBLISHED,
            Wish.comment.is_not(None),
            Wish.comment != "",
        )
        .order_by(Wish.created_at.desc(), Wish.id.desc())
        .limit(COMMENTS_SHOWN)
    ).all()
    return Evidence(
        premises=premises,
        shop_type=shop_type,
        generated_at=now,
        radius_m=radius_m,
        supports=supports,
        recent=recent_supports(premises, now, shop_type.id),
        all_supports=sum(item.count for item in demand),
        rank=ranks.get(shop_type.id),
        types_wished=len(demand),
        area_wishes=next((item.count for item in area if item.shop_type.id == shop_type.id), 0),
        shops=tuple(
            NearbyShop(shop.name, shop.address, round(shop.distance_m))
            for shop in sorted(near.get(shop_type.id, ()), key=lambda shop: shop.distance_m)
        ),
        district_supports=int(district_supports),
        district_premises=district_premises,
        comments=tuple(comments),
    )
