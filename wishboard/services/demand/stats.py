"""Public statistics of the whole town: what residents ask for, where, since when, and what opened.

`town_stats()` computes everything once, as frozen data; the /stats page draws its charts and
tables from that one result, so the page and the tests read the same numbers. What counts:

- *supports* are those on the premises the public sees (vacant and let: `MAP_STATUSES`), as
  the map and the open data count them; *area wishes* are the published wishes pinned on a spot
  rather than in a premises. A type's *asked* number is the two added up.
- *wishes per month* are published wishes (in premises and on spots) by the month they were made,
  and supports by the month they were given, from the first month with either to the current one
  (at most `MONTHS_SHOWN` months, the latest).
- a premises is *let thanks to the board* when it was let to a type residents supported there.

It runs a fixed number of queries, whatever the size of the town.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, and_, func, select
from sqlalchemy.orm import joinedload

from wishboard.collation import sort_key
from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    District,
    Premises,
    PremisesStatus,
    ProjectInterest,
    ShopType,
    ShopTypeGroup,
    Support,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.services.premises.listing import MAP_STATUSES

# The longest run of months the chart of wishes over time shows (the latest ones).
MONTHS_SHOWN = 24


@dataclass(frozen=True)
class TypeStat:
    """One shop type across the town: its supports, the premises they are on, its area wishes."""

    shop_type: ShopType
    supports: int
    premises: int  # premises where at least one resident supports it
    area_wishes: int

    @property
    def asked(self) -> int:
        """Supports and area wishes together."""
        return self.supports + self.area_wishes


@dataclass(frozen=True)
class GroupStat:
    """One group of shop types across the town."""

    group: ShopTypeGroup
    supports: int
    area_wishes: int

    @property
    def asked(self) -> int:
        """Supports and area wishes together."""
        return self.supports + self.area_wishes


@dataclass(frozen=True)
class DistrictStat:
    """One district: its vacant and let premises and the supports on them."""

    name: str
    vacant: int
    let: int
    supports: int


@dataclass(frozen=True)
class MonthStat:
    """The published wishes made and the supports given in one calendar month."""

    month: date  # its first day
    wishes: int
    supports: int

    @property
    def label(self) -> str:
        """The month as `2024-03`."""
        return f"{self.month.year}-{self.month.month:02d}"


@dataclass(frozen=True)
class LetStat:
    """A premises let to a type residents had asked for there, and how many had."""

    premises_id: int
    address: str
    district: str
    shop_type: ShopType
    let_on: date
    asked: int


@dataclass(frozen=True)
class TownStats:
    """Everything the statistics page shows."""

    by_type: tuple[TypeStat, ...]  # most asked first
    by_group: tuple[GroupStat, ...]  # most asked first
    by_district: tuple[DistrictStat, ...]  # by name
    months: tuple[MonthStat, ...]  # oldest first
    let_total: int  # every let premises
    let_thanks: tuple[LetStat, ...]  # newest first
    # Premises let to a shop project that met its landlord here (its holder said so).
    let_to_projects: int = 0

    @property
    def supports(self) -> int:
        """Every support on the premises the public sees."""
        return sum(item.supports for item in self.by_type)

    @property
    def area_wishes(self) -> int:
        """Every published area wish."""
        return sum(item.area_wishes for item in self.by_type)


def town_stats(now: datetime | None = None) -> TownStats:
    """The statistics of the whole town; `now` (naive UTC) sets the current month."""
    now = now or utcnow()
    by_type = _by_type()
    return TownStats(
        by_type=by_type,
        by_group=_by_group(by_type),
        by_district=_by_district(),
        months=_months(now.date()),
        let_total=_let_total(),
        let_thanks=_let_thanks(),
        let_to_projects=let_to_projects(),
    )


def _by_type() -> tuple[TypeStat, ...]:
    """Supports and area wishes per shop type, most asked first (3 queries)."""
    supports = {
        type_id: (int(total), premises)
        for type_id, total, premises in db.session.execute(
            select(DemandCount.shop_type_id, func.sum(DemandCount.supports), func.count())
            .join(Premises, Premises.id == DemandCount.premises_id)
            .where(Premises.status.in_(MAP_STATUSES), DemandCount.supports > 0)
            .group_by(DemandCount.shop_type_id)
        )
    }
    area = dict(
        db.session.execute(
            select(Wish.shop_type_id, func.count())
            .where(Wish.premises_id.is_(None), Wish.status == WishStatus.PUBLISHED)
            .group_by(Wish.shop_type_id)
        ).all()
    )
    wanted = set(supports) | set(area)
    if not wanted:
        return ()
    types = db.session.scalars(
        select(ShopType).options(joinedload(ShopType.group)).where(ShopType.id.in_(wanted))
    ).all()
    stats = [
        TypeStat(
            shop_type=shop_type,
            supports=supports.get(shop_type.id, (0, 0))[0],
            premises=supports.get(shop_type.id, (0, 0))[1],
            area_wishes=area.get(shop_type.id, 0),
        )
        for shop_type in types
    ]
    stats.sort(key=lambda item: (-item.asked, -item.supports, item.shop_type.position))
    return tuple(stats)


def _by_group(by_type: tuple[TypeStat, ...]) -> tuple[GroupStat, ...]:
    """The types' numbers added up per group, most asked first (no query)."""
    groups: dict[int, ShopTypeGroup] = {}
    supports: dict[int, int] = defaultdict(int)
    area: dict[int, int] = defaultdict(int)
    for item in by_type:
        group = item.shop_type.group
        groups[group.id] = group
        supports[group.id] += item.supports
        area[group.id] += item.area_wishes
    stats = [GroupStat(group, supports[gid], area[gid]) for gid, group in groups.items()]
    stats.sort(key=lambda item: (-item.asked, -item.supports, item.group.position))
    return tuple(stats)


def _by_district() -> tuple[DistrictStat, ...]:
    """Vacant and let premises and their supports per district, by name (2 queries)."""
    premises: dict[tuple[str, PremisesStatus], int] = {
        (name, status): number
        for name, status, number in db.session.execute(
            select(District.name, Premises.status, func.count())
            .join(District, District.id == Premises.district_id)
            .where(Premises.status.in_(MAP_STATUSES))
            .group_by(District.name, Premises.status)
        )
    }
    supports = dict(
        db.session.execute(
            select(District.name, func.sum(DemandCount.supports))
            .join(Premises, Premises.id == DemandCount.premises_id)
            .join(District, District.id == Premises.district_id)
            .where(Premises.status.in_(MAP_STATUSES))
            .group_by(District.name)
        ).all()
    )
    names = sorted({name for name, _ in premises}, key=sort_key)
    return tuple(
        DistrictStat(
            name=name,
            vacant=premises.get((name, PremisesStatus.VACANT), 0),
            let=premises.get((name, PremisesStatus.LET), 0),
            supports=int(supports.get(name) or 0),
        )
        for name in names
    )


def _month(day: date) -> date:
    return day.replace(day=1)


def _add_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _per_day(column, *conditions, join=None) -> dict[date, int]:
    """Rows per day of `column` (grouped by day in SQL, which is portable, unlike months)."""
    day = func.date(column, type_=Date)
    query = select(day, func.count()).where(*conditions).group_by(day)
    if join is not None:
        query = query.join(*join)
    counts: dict[date, int] = {}
    for when, number in db.session.execute(query):
        if isinstance(when, str):  # a driver that gives the date as text
            when = date.fromisoformat(when)
        counts[when] = number
    return counts


def _months(today: date) -> tuple[MonthStat, ...]:
    """Published wishes and supports per month, months without any included (2 queries)."""
    wishes = _per_day(Wish.created_at, Wish.status == WishStatus.PUBLISHED)
    supports = _per_day(
        Support.created_at,
        Premises.status.in_(MAP_STATUSES),
        join=(Premises, Premises.id == Support.premises_id),
    )
    per_month: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, number in wishes.items():
        per_month[_month(day)][0] += number
    for day, number in supports.items():
        per_month[_month(day)][1] += number
    if not per_month:
        return ()
    last = max(_month(today), *per_month)
    month = min(per_month)
    months = []
    while month <= last:
        wished, supported = per_month.get(month, (0, 0))
        months.append(MonthStat(month, wished, supported))
        month = _add_month(month)
    return tuple(months[-MONTHS_SHOWN:])


def let_to_projects() -> int:
    """Premises let to a project whose holder met its landlord on the board (1 query)."""
    return db.session.scalar(
        select(func.count(func.distinct(ProjectInterest.premises_id))).where(
            ProjectInterest.let_was_theirs.is_(True)
        )
    )


def _let_total() -> int:
    """How many premises are let."""
    return (
        db.session.scalar(
            select(func.count()).select_from(Premises).where(Premises.status == PremisesStatus.LET)
        )
        or 0
    )


def _let_thanks() -> tuple[LetStat, ...]:
    """The let premises whose new shop is of a type residents supported there (1 query)."""
    rows = db.session.execute(
        select(
            Premises.id,
            Premises.address,
            District.name,
            ShopType,
            Premises.let_on,
            DemandCount.supports,
        )
        .join(District, District.id == Premises.district_id)
        .join(ShopType, ShopType.id == Premises.let_shop_type_id)
        .join(
            DemandCount,
            and_(
                DemandCount.premises_id == Premises.id,
                DemandCount.shop_type_id == Premises.let_shop_type_id,
            ),
        )
        .where(Premises.status == PremisesStatus.LET, DemandCount.supports > 0)
        .order_by(Premises.let_on.desc(), Premises.id.desc())
    ).all()
    return tuple(LetStat(*row) for row in rows)
