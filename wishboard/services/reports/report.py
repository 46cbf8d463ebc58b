"""The demand report of one premises: everything a landlord needs to choose a tenant.

`build_report` computes the whole report once, as plain frozen data; the HTML page, the PDF and
the CSV are three renderings of that one result (see services/reports/formats.py), so they never
disagree. It runs a fixed number of queries whatever the number of supports, comments, shops or
premises in the district: every part is one query (or two), never one per row.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, and_, case, func, or_, select

from wishboard.collation import sort_key
from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    Premises,
    PremisesStatus,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.services.demand.area import area_demand_near
from wishboard.services.demand.counts import TOP_TYPES, Demand, demand_for
from wishboard.services.demand.freshness import RECENT_DAYS, recent_supports
from wishboard.services.demand.gaps import Coverage, shops_near
from wishboard.services.premises import posters
from wishboard.services.premises.listing import MAP_STATUSES
from wishboard.settings import DEFAULT_AREA_RADIUS_M

# How many comments a report shows (the newest); the report says how many there are in all.
COMMENT_LIMIT = 50
# How many weeks the trend covers, the current week last.
TREND_WEEKS = 12


@dataclass(frozen=True)
class TypeDemand:
    """One shop type's support at the premises and its share of all the supports there."""

    rank: int
    shop_type: ShopType
    count: int
    share: float  # 0 to 1

    @property
    def share_percent(self) -> float:
        """The share in percent, to one decimal place (as the CSV writes it)."""
        return round(self.share * 100, 1)


@dataclass(frozen=True)
class ReportComment:
    """A published comment left with a wish at the premises."""

    author: str | None  # None once the resident deleted their account
    shop_type: ShopType
    text: str
    created_at: datetime


@dataclass(frozen=True)
class TrendWeek:
    """The supports given in one ISO week: in all, and for each of the trend's shop types."""

    start: date  # the Monday
    iso_year: int
    iso_week: int
    total: int
    by_type: tuple[int, ...]  # in the order of Trend.shop_types

    @property
    def label(self) -> str:
        """The ISO week as `2024-W07`."""
        return f"{self.iso_year}-W{self.iso_week:02d}"


@dataclass(frozen=True)
class Trend:
    """Supports per week over the last weeks, for the whole premises and its top types."""

    shop_types: tuple[ShopType, ...]
    weeks: tuple[TrendWeek, ...]

    @property
    def highest(self) -> int:
        """The largest weekly total (the chart's scale)."""
        return max((week.total for week in self.weeks), default=0)

    @property
    def total(self) -> int:
        """All the supports given during these weeks."""
        return sum(week.total for week in self.weeks)


@dataclass(frozen=True)
class NearbyShop:
    """An open shop of a wished-for type near the premises."""

    name: str
    address: str
    distance_m: int


@dataclass(frozen=True)
class Competition:
    """For one of the top types: the open shops of that type within the radius, nearest first.

    None nearby is a gap in the neighbourhood; some is competition.
    """

    shop_type: ShopType
    count: int  # residents asking for it here
    shops: tuple[NearbyShop, ...]

    @property
    def is_gap(self) -> bool:
        return not self.shops


@dataclass(frozen=True)
class DistrictComparison:
    """How the premises' demand ranks among the vacant and let premises of its district."""

    district: str
    rank: int  # 1 for the most supported; premises with equal totals share a rank
    premises_count: int
    top_type: ShopType | None
    # Premises of the district with more supporters of the top type than this one.
    ahead_for_top_type: int | None


@dataclass(frozen=True)
class LetOutcome:
    """The premises is let: to which shop type, since when, and how many had asked for it."""

    shop_type: ShopType
    let_on: date
    asked: int


@dataclass(frozen=True)
class DemandReport:
    """The demand report of one premises, as of `generated_at`."""

    premises: Premises
    district: str
    generated_at: datetime
    radius_m: int
    demand: tuple[TypeDemand, ...]
    total_supports: int
    supporters: int  # distinct residents behind the supports
    # The supports given or confirmed in the last RECENT_DAYS days (counted ones only, as all).
    recent_supports: int
    poster_scans: int  # how many times the QR code of its window poster was scanned
    comments: tuple[ReportComment, ...]  # the newest COMMENT_LIMIT
    comment_count: int
    trend: Trend
    area: tuple[Demand, ...]
    competition: tuple[Competition, ...]
    comparison: DistrictComparison
    let: LetOutcome | None
    # Every wished type, in the order of `demand`, with the open shops of its type nearby: those
    # with none are the gaps (services/demand/gaps.py), marked for all the types, not only the
    # top ones.
    coverage: tuple[Coverage, ...] = ()

    @property
    def gaps(self) -> tuple[Coverage, ...]:
        """The wished types with no open shop of their type within the radius."""
        return tuple(item for item in self.coverage if item.is_gap)

    @property
    def recent_share(self) -> float:
        """The share of the demand given or confirmed recently, 0 to 1."""
        return self.recent_supports / self.total_supports if self.total_supports else 0.0

    @property
    def recent_days(self) -> int:
        """How recent "recent" is, in days."""
        return RECENT_DAYS

    @property
    def recent_percent(self) -> int:
        """The recent share in whole percent."""
        return round(self.recent_share * 100)

    @property
    def top(self) -> tuple[TypeDemand, ...]:
        """The most supported types (those the summaries, the trend and the shops follow)."""
        return self.demand[:TOP_TYPES]


def build_report(
    premises: Premises, now: datetime | None = None, radius_m: int | None = None
) -> DemandReport:
    """Compute the demand report of `premises`; `now` (naive UTC) ends the trend's last week."""
    now = now or utcnow()
    radius = radius_m if radius_m is not None else DEFAULT_AREA_RADIUS_M
    ranked = demand_for(premises)
    total = sum(item.count for item in ranked)
    demand = tuple(
        TypeDemand(rank, item.shop_type, item.count, item.count / total if total else 0.0)
        for rank, item in enumerate(ranked, start=1)
    )
    top = demand[:TOP_TYPES]
    comments, comment_count = _comments(premises)
    competition, coverage = _competition(premises, demand, radius)
    return DemandReport(
        premises=premises,
        district=premises.district.name,
        generated_at=now,
        radius_m=radius,
        demand=demand,
        total_supports=total,
        supporters=_supporters(premises),
        recent_supports=recent_supports(premises, now),
        poster_scans=posters.scans_of(premises),
        comments=comments,
        comment_count=comment_count,
        trend=_trend(premises, [item.shop_type for item in top], now),
        area=tuple(area_demand_near(premises.latitude, premises.longitude, radius)),
        competition=competition,
        coverage=coverage,
        comparison=_comparison(premises, total, top[0] if top else None),
        let=_let_outcome(premises, demand),
    )


def _supporters(premises: Premises) -> int:
    """How many residents support some type at the premises."""
    # A deleted account leaves its supports anonymised (no resident): each counts as one person,
    # which is what it was to the residents' count when it was given.
    known, anonymous = db.session.execute(
        select(
            func.count(func.distinct(Support.resident_id)),
            func.count() - func.count(Support.resident_id),
        ).where(Support.premises_id == premises.id, Support.counted.is_(True))
    ).one()
    return known + anonymous


def _comments(premises: Premises) -> tuple[tuple[ReportComment, ...], int]:
    """The newest published comments at the premises, and how many there are in all."""
    conditions = (
        Wish.premises_id == premises.id,
        Wish.status == WishStatus.PUBLISHED,
        Wish.comment.is_not(None),
        Wish.comment != "",
    )
    rows = db.session.execute(
        select(User.display_name, ShopType, Wish.comment, Wish.created_at)
        .join(ShopType, ShopType.id == Wish.shop_type_id)
        .outerjoin(User, User.id == Wish.author_id)
        .where(*conditions)
        .order_by(Wish.created_at.desc(), Wish.id.desc())
        .limit(COMMENT_LIMIT)
    ).all()
    comments = tuple(ReportComment(name, shop_type, text, at) for name, shop_type, text, at in rows)
    if len(comments) < COMMENT_LIMIT:
        return comments, len(comments)
    count = db.session.scalar(select(func.count()).select_from(Wish).where(*conditions))
    return comments, count or 0


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def _trend(premises: Premises, shop_types: list[ShopType], now: datetime) -> Trend:
    """Supports per ISO week over the last TREND_WEEKS weeks, weeks without any included."""
    last = week_start(now.date())
    first = last - timedelta(weeks=TREND_WEEKS - 1)
    end = last + timedelta(weeks=1)
    # Grouped by day in SQL (portable, unlike week numbers), then by week here: at most
    # 7 × weeks × types rows, however many supports there are.
    day = func.date(Support.created_at, type_=Date)
    rows = db.session.execute(
        select(day, Support.shop_type_id, func.count())
        .where(
            Support.premises_id == premises.id,
            Support.created_at >= datetime.combine(first, time()),
            Support.created_at < datetime.combine(end, time()),
        )
        .group_by(day, Support.shop_type_id)
    ).all()
    totals: dict[date, int] = defaultdict(int)
    per_type: dict[tuple[date, int], int] = defaultdict(int)
    for when, shop_type_id, number in rows:
        if isinstance(when, str):  # a driver that gives the date as text
            when = date.fromisoformat(when)
        monday = week_start(when)
        totals[monday] += number
        per_type[(monday, shop_type_id)] += number
    weeks = []
    for index in range(TREND_WEEKS):
        monday = first + timedelta(weeks=index)
        iso_year, iso_week, _ = monday.isocalendar()
        weeks.append(
            TrendWeek(
                start=monday,
                iso_year=iso_year,
                iso_week=iso_week,
                total=totals[monday],
                by_type=tuple(per_type[(monday, shop_type.id)] for shop_type in shop_types),
            )
        )
    return Trend(tuple(shop_types), tuple(weeks))


def _competition(
    premises: Premises, demand: tuple[TypeDemand, ...], radius_m: int
) -> tuple[tuple[Competition, ...], tuple[Coverage, ...]]:
    """The open shops of each top type within `radius_m`, nearest first; every type's coverage.

    One query for every wished type: the top ones list their shops, and every one is marked a
    gap or not (services/demand/gaps.py).
    """
    if not demand:
        return (), ()
    near = shops_near(
        premises.latitude, premises.longitude, [item.shop_type.id for item in demand], radius_m
    )
    competition = tuple(
        Competition(
            item.shop_type,
            item.count,
            tuple(
                NearbyShop(shop.name, shop.address, round(shop.distance_m))
                for shop in sorted(
                    near.get(item.shop_type.id, ()),
                    key=lambda shop: (round(shop.distance_m), sort_key(shop.name)),
                )
            ),
        )
        for item in demand[:TOP_TYPES]
    )
    coverage = tuple(
        Coverage(item.shop_type, item.count, len(near.get(item.shop_type.id, ())))
        for item in demand
    )
    return competition, coverage


def _comparison(premises: Premises, total: int, top: TypeDemand | None) -> DistrictComparison:
    """The premises' rank in its district by total support, and by support for its top type."""
    top_id = top.shop_type.id if top is not None else None
    for_top = case((DemandCount.shop_type_id == top_id, DemandCount.supports), else_=0)
    rows = db.session.execute(
        select(
            Premises.id,
            func.coalesce(func.sum(DemandCount.supports), 0),
            func.coalesce(func.sum(for_top), 0),
        )
        .outerjoin(
            DemandCount, and_(DemandCount.premises_id == Premises.id, DemandCount.supports > 0)
        )
        .where(
            Premises.district_id == premises.district_id,
            # The premises itself counts even when withdrawn, so that it has a rank.
            or_(Premises.status.in_(MAP_STATUSES), Premises.id == premises.id),
        )
        .group_by(Premises.id)
    ).all()
    others = [
        (total_of, top_of) for premises_id, total_of, top_of in rows if premises_id != premises.id
    ]
    return DistrictComparison(
        district=premises.district.name,
        rank=1 + sum(1 for total_of, _ in others if total_of > total),
        premises_count=len(others) + 1,
        top_type=top.shop_type if top is not None else None,
        ahead_for_top_type=(
            sum(1 for _, top_of in others if top_of > top.count) if top is not None else None
        ),
    )


def _let_outcome(premises: Premises, demand: tuple[TypeDemand, ...]) -> LetOutcome | None:
    """When the premises is let: its shop type, the date, and how many residents asked for it."""
    if premises.status is not PremisesStatus.LET or premises.let_shop_type is None:
        return None
    asked = next(
        (item.count for item in demand if item.shop_type.id == premises.let_shop_type_id), 0
    )
    return LetOutcome(premises.let_shop_type, premises.let_on, asked)
