"""Demo data: a small town to try Wishboard, and city-scale data to measure it.

The demo town is generated from a fixed seed and upserted by reference and e-mail, so loading it
again changes no row count. City-scale data is written in bulk, once.
"""

import itertools
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from wishboard.data import demo_town
from wishboard.data.demo_town import Street
from wishboard.extensions import db
from wishboard.models import (
    District,
    Premises,
    PremisesStatus,
    Presence,
    Role,
    Shop,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.models.demand import triggers_paused
from wishboard.services import taxonomy
from wishboard.services.progress import Progress, track
from wishboard.settings import Settings

DEMO_PASSWORD = "demo-wishboard-2017"
DEMO_EMAIL_DOMAIN = "demo.wishboard.test"
DEMO_SEED = 2017
DEMO_PREMISES_REFERENCE = "DEMO-P-{:03d}"
DEMO_SHOP_REFERENCE = "DEMO-S-{:03d}"
DEMO_VACANT_PREMISES = 40
DEMO_SHOPS = 200
DEMO_LANDLORD_PREMISES = 10
DEMO_COMMENTED_WISHES = 15
DEMO_PENDING_WISHES = 3
DEMO_AREA_WISHES = 10
SUPPORT_WINDOW = timedelta(weeks=12)

CITY_PREFIX = "CITY-"
CITY_EMAIL_DOMAIN = "city.wishboard.test"
CITY_CHUNK = 10_000
# Each premises of the city draws its demand from a short menu of types, most wanted first.
CITY_TYPE_MENU_WEIGHTS = (35, 25, 15, 10, 8, 7)


@dataclass
class DemoLogin:
    """An account of the demo town that people can sign in with."""

    role: str
    email: str
    password: str


# ---------------------------------------------------------------------------------------------
# Places along the demo streets


def _slug(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: "Élodie" -> "elodie"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(char if char.isalnum() else " " for char in ascii_text.lower()).split()
    return "-".join(words)


def _position(street: Street, number: int) -> tuple[float, float]:
    """Where a house number lies: interpolated along the street, odd and even sides apart."""
    span = max(street.last_number - street.first_number, 1)
    t = (number - street.first_number) / span
    (lat1, lon1), (lat2, lon2) = street.start, street.end
    lat, lon = lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)
    # About eight metres either side of the middle of the street.
    length = math.hypot(lat2 - lat1, lon2 - lon1) or 1.0
    side = 1 if number % 2 else -1
    lat += side * 0.00007 * -(lon2 - lon1) / length
    lon += side * 0.00007 * (lat2 - lat1) / length
    return round(lat, 6), round(lon, 6)


class _AddressBook:
    """Hands out distinct house numbers on the demo streets."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[tuple[str, int]] = set()

    def take(self) -> tuple[Street, int]:
        while True:
            street = self.rng.choice(demo_town.STREETS)
            number = self.rng.randint(street.first_number, street.last_number)
            if (street.name, number) not in self.used:
                self.used.add((street.name, number))
                return street, number


def _weighted_sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """`k` distinct keys of `weights`, heavier ones more likely."""
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        code = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(code)
        del pool[code]
    return chosen


# ---------------------------------------------------------------------------------------------
# The demo town: a plan drawn from the seed, then upserted


@dataclass
class _PlannedSupport:
    resident: str  # e-mail
    premises: str  # reference
    shop_type: str  # code
    age: timedelta


@dataclass
class _PlannedWish:
    author: str
    shop_type: str
    age: timedelta
    premises: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    comment: str | None = None
    status: WishStatus = WishStatus.PUBLISHED


@dataclass
class _TownPlan:
    accounts: list[dict[str, Any]]
    premises: list[dict[str, Any]]
    shops: list[dict[str, Any]]
    supports: list[_PlannedSupport]
    wishes: list[_PlannedWish]


def _demo_email(name: str) -> str:
    """The demo address of an account: "camille@demo.wishboard.test"."""
    return f"{_slug(name)}@{DEMO_EMAIL_DOMAIN}"


def _plan_accounts() -> list[dict[str, Any]]:
    """The landlord, moderator and admin first, then the residents."""
    staff = [
        {"email": _demo_email("landlord"), "display_name": "Nadia Benali", "role": Role.LANDLORD},
        {
            "email": _demo_email("moderator"),
            "display_name": "Julie Mercier",
            "role": Role.MODERATOR,
        },
        {"email": _demo_email("admin"), "display_name": "Marc Garnier", "role": Role.ADMIN},
    ]
    residents = [
        {"email": _demo_email(name), "display_name": name, "role": Role.RESIDENT}
        for name in demo_town.RESIDENT_NAMES
    ]
    return staff + residents


def _plan_premises(rng: random.Random, addresses: _AddressBook) -> list[dict[str, Any]]:
    """Forty vacant premises, then two let and one withdrawn."""
    landlord = _demo_email("landlord")
    contacts = demo_town.LANDLORD_CONTACTS
    planned = []
    for index in range(DEMO_VACANT_PREMISES + 3):
        street, number = addresses.take()
        latitude, longitude = _position(street, number)
        values: dict[str, Any] = {
            "reference": DEMO_PREMISES_REFERENCE.format(index + 1),
            "address": f"{number} {street.name}",
            "postcode": street.postcode,
            "city": demo_town.CITY,
            "district": street.district,
            "latitude": latitude,
            "longitude": longitude,
            "surface_m2": rng.randint(25, 250),
            "status": PremisesStatus.VACANT,
            "landlord": None,
            "landlord_name": None,
            "landlord_email": None,
            "let_shop_type": None,
            "let_days_ago": None,
        }
        # The landlord account owns the busiest premises and one that is let since.
        if index < DEMO_LANDLORD_PREMISES - 1 or index == DEMO_VACANT_PREMISES:
            values["landlord"] = landlord
        else:
            values["landlord_name"], values["landlord_email"] = contacts[index % len(contacts)]
        planned.append(values)

    let_first, let_second, withdrawn = planned[DEMO_VACANT_PREMISES:]
    let_first.update(status=PremisesStatus.LET, let_shop_type="craft=tailor", let_days_ago=40)
    let_second.update(status=PremisesStatus.LET, let_shop_type="shop=cheese", let_days_ago=12)
    withdrawn.update(status=PremisesStatus.WITHDRAWN)
    return planned


def _shop_name(
    rng: random.Random, code: str, label: str, street: Street, number: int, used: set[str]
) -> str:
    """A plausible sign for a shop of type `code`, not used yet in the town."""
    word = demo_town.SIGN_WORDS.get(code, label)
    place = demo_town.DISTRICT_PHRASES[street.district]
    short = street.short_name
    surname = rng.choice(demo_town.SURNAMES)
    first_name = rng.choice(demo_town.RESIDENT_NAMES)
    if code == "amenity=cafe":
        candidates = [f"Le Café {place}", f"Café {short}", f"Le Petit Café {short}"]
    elif code == "amenity=bar":
        candidates = [f"Le Bar {place}", f"Chez {first_name}", f"Le Comptoir {short}"]
    elif code == "amenity=restaurant":
        candidates = [
            f"Le Bistrot {place}",
            f"Chez {first_name}",
            f"La Table {short}",
            f"Restaurant {surname}",
            f"La Cantine {place}",
        ]
    elif code == "amenity=pharmacy":
        candidates = [f"Pharmacie {short}", f"Pharmacie {place}", f"Grande Pharmacie {place}"]
    else:
        candidates = [f"{word} {short}", f"{word} {place}", f"{word} {surname}"]
    rng.shuffle(candidates)
    for name in candidates:
        if name not in used:
            used.add(name)
            return name
    name = f"{word} du {number}"
    used.add(name)
    return name


def _plan_shops(
    rng: random.Random, addresses: _AddressBook, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """The open shops of the directory, common trades more often than rare ones."""
    codes = [code for code in labels if code not in demo_town.NOT_IN_DIRECTORY]
    weights = [demo_town.OPEN_SHOP_WEIGHTS.get(code, 1) for code in codes]
    used_names: set[str] = set()
    planned = []
    for index in range(DEMO_SHOPS):
        street, number = addresses.take()
        code = rng.choices(codes, weights=weights)[0]
        name = _shop_name(rng, code, labels[code], street, number, used_names)
        latitude, longitude = _position(street, number)
        slug = _slug(name)
        has_phone, has_website, has_hours = (rng.random() < p for p in (0.65, 0.35, 0.7))
        planned.append(
            {
                "reference": DEMO_SHOP_REFERENCE.format(index + 1),
                "name": name,
                "shop_type": code,
                "address": f"{number} {street.name}",
                "postcode": street.postcode,
                "city": demo_town.CITY,
                "district": street.district,
                "latitude": latitude,
                "longitude": longitude,
                "phone": (
                    f"01 4{rng.randint(0, 9)} {rng.randint(0, 99):02d} "
                    f"{rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
                )
                if has_phone
                else None,
                "website": f"https://{slug}.example.org" if has_website else None,
                "email": f"contact@{slug}.example.org" if has_website and has_phone else None,
                "opening_hours": demo_town.OPENING_HOURS.get(code, demo_town.DEFAULT_OPENING_HOURS)
                if has_hours
                else None,
                **_demo_presence(index, slug, has_website),
            }
        )
    return planned


def _demo_presence(index: int, slug: str, has_website: bool) -> dict[str, Any]:
    """What staff know of a demo shop's online presence: every visibility level appears.

    Derived from the shop's number rather than drawn, so that the random stream (and with it the
    rest of the demo town) stays the same.
    """
    has_social = index % 5 in (1, 3)
    if has_website:
        website = Presence.YES
    else:
        website = Presence.UNKNOWN if index % 4 == 0 else Presence.NO
    social = Presence.YES if has_social else (Presence.UNKNOWN if index % 6 == 0 else Presence.NO)
    listed = (
        Presence.YES if index % 3 == 0 else (Presence.UNKNOWN if index % 8 == 1 else Presence.NO)
    )
    return {
        "social_url": f"https://social.example.org/{slug}" if has_social else None,
        "has_website": website,
        "has_social": social,
        "on_map_service": listed,
    }


def _plan_demand(
    rng: random.Random, premises: list[dict[str, Any]], residents: list[str], cap: int
) -> tuple[list[_PlannedSupport], list[_PlannedWish]]:
    """Supports falling off with the premises' rank, and one wish per type supported."""
    supports: list[_PlannedSupport] = []
    wishes: list[_PlannedWish] = []
    window = int(SUPPORT_WINDOW.total_seconds())
    for rank, values in enumerate(premises):
        if values["status"] is PremisesStatus.WITHDRAWN:
            continue
        types_per_resident: Counter[str] = Counter()
        wanted = _weighted_sample(rng, demo_town.WANTED_SHOP_TYPES, rng.randint(1, 4))
        for position, code in enumerate(wanted):
            # Demand falls with the premises' rank and the type's place in its list.
            expected = 14 / (1 + rank * 0.3) / (position + 1)
            count = min(len(residents), max(1, round(expected)) + rng.randint(0, 2))
            supporters = [
                email for email in rng.sample(residents, count) if types_per_resident[email] < cap
            ]
            # Oldest first: the first supporter is the wish's author.
            ages = sorted(
                (timedelta(seconds=rng.randrange(window)) for _ in supporters), reverse=True
            )
            if not supporters:
                continue
            for email, age in zip(supporters, ages, strict=True):
                types_per_resident[email] += 1
                supports.append(_PlannedSupport(email, values["reference"], code, age))
            wishes.append(_PlannedWish(supporters[0], code, ages[0], premises=values["reference"]))

    # Comments go to wishes whose type has one to say, each comment once; the last are pending.
    unused = {code: list(texts) for code, texts in demo_town.COMMENTS.items()}
    commented = 0
    for wish in rng.sample(wishes, len(wishes)):
        texts = unused.get(wish.shop_type)
        if not texts or commented == DEMO_COMMENTED_WISHES:
            continue
        wish.comment = texts.pop(0)
        commented += 1
        if commented > DEMO_COMMENTED_WISHES - DEMO_PENDING_WISHES:
            wish.status = WishStatus.PENDING
    return supports, wishes


def _plan_area_wishes(rng: random.Random, residents: list[str]) -> list[_PlannedWish]:
    """Wishes pinned on a spot of a street rather than on a premises, one per author."""
    planned = []
    authors = rng.sample(residents, DEMO_AREA_WISHES)
    for author in authors:
        street = rng.choice(demo_town.STREETS)
        latitude, longitude = _position(
            street, rng.randint(street.first_number, street.last_number)
        )
        code = rng.choices(
            list(demo_town.WANTED_SHOP_TYPES), weights=list(demo_town.WANTED_SHOP_TYPES.values())
        )[0]
        age = timedelta(seconds=rng.randrange(int(SUPPORT_WINDOW.total_seconds())))
        planned.append(_PlannedWish(author, code, age, latitude=latitude, longitude=longitude))
    return planned


def _plan_town(labels: dict[str, str], cap: int) -> _TownPlan:
    """Everything in the demo town, drawn from the fixed seed whatever the database holds."""
    # Shops draw from their own stream: types an admin adds change the shops, not the demand.
    rng, shops_rng, demand_rng = (random.Random(DEMO_SEED + offset) for offset in range(3))
    addresses = _AddressBook(rng)
    accounts = _plan_accounts()
    residents = [a["email"] for a in accounts if a["role"] is Role.RESIDENT]
    premises = _plan_premises(rng, addresses)
    shops = _plan_shops(shops_rng, addresses, labels)
    supports, wishes = _plan_demand(demand_rng, premises, residents, cap)
    wishes += _plan_area_wishes(demand_rng, residents)
    return _TownPlan(accounts, premises, shops, supports, wishes)


def _upsert_all(model: type, key: str, rows: list[dict[str, Any]]) -> dict[Any, Any]:
    """Create or update a row of `model` for each dict, matched on its `key` column."""
    column = getattr(model, key)
    wanted = [values[key] for values in rows]
    existing = {
        getattr(row, key): row
        for row in db.session.scalars(select(model).where(column.in_(wanted)))
    }
    for values in rows:
        row = existing.get(values[key])
        if row is None:
            row = existing[values[key]] = model()
            db.session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
    return existing


def _ensure_districts() -> dict[str, District]:
    """The demo quartiers, created when missing, by name."""
    existing = {d.name: d for d in db.session.scalars(select(District))}
    for name in demo_town.DISTRICTS:
        if name not in existing:
            existing[name] = District(name=name)
            db.session.add(existing[name])
    db.session.flush()
    return existing


def load_demo_town(settings: Settings) -> list[DemoLogin]:
    """Load (or refresh) the demo town and return the logins to print; running it twice is safe."""
    taxonomy.load_shop_types()
    types = {shop_type.code: shop_type for shop_type in db.session.scalars(select(ShopType))}
    cap = settings.max_types_per_premises
    plan = _plan_town({code: t.label_fr for code, t in types.items()}, cap)
    now = utcnow()
    districts = _ensure_districts()

    password_hash = generate_password_hash(DEMO_PASSWORD)
    users = _upsert_all(
        User,
        "email",
        [{**account, "password_hash": password_hash, "active": True} for account in plan.accounts],
    )
    for user in users.values():
        user.email_verified_at = user.email_verified_at or now

    premises_rows = []
    for planned in plan.premises:
        values = dict(planned)
        days_ago = values.pop("let_days_ago")
        values["district"] = districts[values["district"]]
        values["landlord"] = users[values["landlord"]] if values["landlord"] else None
        values["let_shop_type"] = types.get(values["let_shop_type"])
        values["let_on"] = date.today() - timedelta(days=days_ago) if days_ago else None
        premises_rows.append(values)
    premises = _upsert_all(Premises, "reference", premises_rows)

    shop_rows = [
        {
            **planned,
            "district": districts[planned["district"]],
            "shop_type": types[planned["shop_type"]],
        }
        for planned in plan.shops
    ]
    _upsert_all(Shop, "reference", shop_rows)
    db.session.flush()

    _add_supports(plan.supports, users, premises, types, cap, now)
    _add_wishes(plan.wishes, users, premises, types, now)
    db.session.commit()

    return [
        DemoLogin(account["role"].value, account["email"], DEMO_PASSWORD)
        for account in plan.accounts[:4]
    ]


def _add_supports(
    planned: list[_PlannedSupport],
    users: dict[str, User],
    premises: dict[str, Premises],
    types: dict[str, ShopType],
    cap: int,
    now: datetime,
) -> None:
    """Add the planned supports that are missing, never exceeding a resident's cap."""
    premises_ids = [p.id for p in premises.values()]
    existing = set(
        map(
            tuple,
            db.session.execute(
                select(Support.resident_id, Support.premises_id, Support.shop_type_id).where(
                    Support.premises_id.in_(premises_ids)
                )
            ),
        )
    )
    per_pair = Counter((resident, place) for resident, place, _ in existing)
    for support in planned:
        key = (
            users[support.resident].id,
            premises[support.premises].id,
            types[support.shop_type].id,
        )
        if key in existing or per_pair[key[:2]] >= cap:
            continue
        existing.add(key)
        per_pair[key[:2]] += 1
        db.session.add(
            Support(
                resident_id=key[0],
                premises_id=key[1],
                shop_type_id=key[2],
                created_at=now - support.age,
            )
        )


def _add_wishes(
    planned: list[_PlannedWish],
    users: dict[str, User],
    premises: dict[str, Premises],
    types: dict[str, ShopType],
    now: datetime,
) -> None:
    """Add the missing wishes: one per (premises, type), one area wish per (author, type)."""
    premises_ids = [p.id for p in premises.values()]
    at_premises = {
        (premises_id, shop_type_id)
        for premises_id, shop_type_id in db.session.execute(
            select(Wish.premises_id, Wish.shop_type_id).where(Wish.premises_id.in_(premises_ids))
        )
    }
    author_ids = [user.id for user in users.values()]
    in_area = {
        (author_id, shop_type_id)
        for author_id, shop_type_id in db.session.execute(
            select(Wish.author_id, Wish.shop_type_id).where(
                Wish.premises_id.is_(None), Wish.author_id.in_(author_ids)
            )
        )
    }
    moderator = users[_demo_email("moderator")]
    for wish in planned:
        author, shop_type = users[wish.author], types[wish.shop_type]
        place = premises[wish.premises] if wish.premises else None
        if place is not None:
            key, seen = (place.id, shop_type.id), at_premises
        else:
            key, seen = (author.id, shop_type.id), in_area
        if key in seen:
            continue
        seen.add(key)
        created_at = now - wish.age
        reviewed = wish.comment is not None and wish.status is WishStatus.PUBLISHED
        db.session.add(
            Wish(
                author=author,
                shop_type=shop_type,
                premises=place,
                latitude=wish.latitude,
                longitude=wish.longitude,
                comment=wish.comment,
                status=wish.status,
                created_at=created_at,
                moderated_at=created_at + timedelta(hours=20) if reviewed else None,
                moderated_by_id=moderator.id if reviewed else None,
            )
        )


# ---------------------------------------------------------------------------------------------
# City scale: many rows, written in bulk


def _chunks(rows: list[tuple]) -> list[list[tuple]]:
    """`rows` cut into slices small enough for one executemany."""
    return [rows[start : start + CITY_CHUNK] for start in range(0, len(rows), CITY_CHUNK)]


class _BulkWriter:
    """Rows handed straight to the database driver, their values already in its own types.

    The ORM's, and even SQLAlchemy Core's, work on each of 300,000 parameters would take longer
    than the database takes to store them.
    """

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.connection = db.session.connection()
        dialect = self.connection.dialect
        self.sqlite = dialect.name == "sqlite"
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def stamp(self, value: datetime | date | None) -> Any:
        """A date or time as the driver takes it: SQLite keeps them as text, as SQLAlchemy does."""
        if value is None or not self.sqlite:
            return value
        if isinstance(value, datetime):
            return value.isoformat(" ", "microseconds")
        return value.isoformat()

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple], label: str) -> None:
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for chunk in track(self.progress, _chunks(rows), label):
            self.connection.exec_driver_sql(sql, chunk)


def _city_counts() -> dict[str, int]:
    """What city-scale data the database holds."""
    city_premises = Premises.reference.like(f"{CITY_PREFIX}%")
    city_user = User.email.like(f"%@{CITY_EMAIL_DOMAIN}")

    def count(query) -> int:
        return db.session.scalar(query) or 0

    return {
        "premises": count(select(func.count(Premises.id)).where(city_premises)),
        "residents": count(select(func.count(User.id)).where(city_user)),
        "supports": count(
            select(func.count(Support.id)).join(Support.premises).where(city_premises)
        ),
        "area_wishes": count(
            select(func.count(Wish.id))
            .join(User, User.id == Wish.author_id)
            .where(Wish.premises_id.is_(None), city_user)
        ),
        "wishes": count(select(func.count(Wish.id)).join(Wish.premises).where(city_premises)),
    }


def _nearest_street(latitude: float, longitude: float, middles) -> Street:
    """The demo street whose middle is closest, to name an address and its quartier."""
    return min(middles, key=lambda m: (m[0] - latitude) ** 2 + (m[1] - longitude) ** 2)[2]


def load_city(
    settings: Settings,
    progress: Progress | None = None,
    premises: int = 5000,
    residents: int = 50000,
    supports: int = 200000,
    area_wishes: int = 20000,
    seed: int = 2024,
) -> dict[str, int]:
    """Write city-scale data in bulk and return its counts; does nothing if it is already there."""
    if db.session.scalar(
        select(func.count(Premises.id)).where(Premises.reference.like(f"{CITY_PREFIX}%"))
    ):
        return _city_counts()
    cap = settings.max_types_per_premises
    if min(premises, residents) < 1 or min(supports, area_wishes) < 0:
        raise ValueError("city-scale data needs at least one premises and one resident")
    # Drawing at random, supports would take ever longer to find a free place past half of them.
    if supports > premises * residents * min(cap, len(CITY_TYPE_MENU_WEIGHTS)) // 2:
        raise ValueError(f"{supports} supports do not fit: too few premises or residents")
    try:
        counts = (premises, residents, supports, area_wishes)
        return _write_city(progress, *counts, seed, cap, settings.map_bounds)
    except Exception:
        db.session.rollback()  # half-written city data would pass for complete on the next run
        raise


def _write_city(
    progress: Progress | None,
    premises: int,
    residents: int,
    supports: int,
    area_wishes: int,
    seed: int,
    cap: int,
    bounds: Sequence[float],
) -> dict[str, int]:
    """Draw the city's rows from `seed` and insert them in bulk, in one transaction."""
    taxonomy.load_shop_types()
    rng = random.Random(seed)
    _ensure_districts()
    db.session.flush()
    writer = _BulkWriter(progress)
    with triggers_paused(writer.connection):
        counts = _write_city_rows(
            writer, rng, premises, residents, supports, area_wishes, cap, bounds
        )
    db.session.commit()
    return counts


def _write_city_rows(
    writer: _BulkWriter,
    rng: random.Random,
    premises: int,
    residents: int,
    supports: int,
    area_wishes: int,
    cap: int,
    bounds: Sequence[float],
) -> dict[str, int]:
    """The rows of `_write_city`, drawn and inserted."""
    now, today = utcnow(), date.today()
    south, west, north, east = bounds
    district_ids = {d.name: d.id for d in db.session.scalars(select(District))}
    types = {
        code: type_id
        for code, type_id in db.session.execute(
            select(ShopType.code, ShopType.id).where(ShopType.active)
        )
    }
    codes = list(types)
    weights = list(itertools.accumulate(demo_town.WANTED_SHOP_TYPES.get(code, 1) for code in codes))
    middles = [
        ((s.start[0] + s.end[0]) / 2, (s.start[1] + s.end[1]) / 2, s) for s in demo_town.STREETS
    ]
    created = writer.stamp(now)

    premises_rows = []
    for index in range(premises):
        latitude, longitude = rng.uniform(south, north), rng.uniform(west, east)
        street = _nearest_street(latitude, longitude, middles)
        roll = rng.random()
        status = (
            PremisesStatus.LET
            if roll < 0.04
            else PremisesStatus.WITHDRAWN
            if roll < 0.06
            else PremisesStatus.VACANT
        )
        let = status is PremisesStatus.LET
        premises_rows.append(
            (
                f"{CITY_PREFIX}P-{index:07d}",
                f"{rng.randint(1, 200)} {street.name}",
                street.postcode,
                demo_town.CITY,
                district_ids[street.district],
                round(latitude, 6),
                round(longitude, 6),
                rng.randint(25, 250),
                status.value,
                "Foncière de démonstration",
                f"bailleur{index % 500:03d}@example.org",
                types[rng.choice(codes)] if let else None,
                writer.stamp(today - timedelta(days=rng.randint(1, 365))) if let else None,
                created,
                created,
            )
        )
    writer.insert("premises", CITY_PREMISES_COLUMNS, premises_rows, "Premises")
    premises_ids = list(
        db.session.scalars(
            select(Premises.id)
            .where(Premises.reference.like(f"{CITY_PREFIX}%"))
            .order_by(Premises.reference)
        )
    )

    # One hash for everyone: hashing is slow on purpose, and nobody signs in as these residents.
    password_hash = generate_password_hash(DEMO_PASSWORD)
    first_names = demo_town.RESIDENT_NAMES
    resident_rows = [
        (
            f"resident{index:07d}@{CITY_EMAIL_DOMAIN}",
            f"{rng.choice(first_names)} {chr(65 + rng.randrange(26))}.",
            password_hash,
            Role.RESIDENT.value,
            created,
            True,
            created,
        )
        for index in range(residents)
    ]
    writer.insert("users", CITY_RESIDENT_COLUMNS, resident_rows, "Residents")
    resident_ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"%@{CITY_EMAIL_DOMAIN}")).order_by(User.email)
        )
    )

    support_rows, wish_rows = _city_demand(
        rng, premises_ids, resident_ids, [types[c] for c in codes], weights, supports, cap
    )
    writer.insert(
        "supports",
        CITY_SUPPORT_COLUMNS,
        [(r, p, t, writer.stamp(now - timedelta(seconds=age))) for r, p, t, age in support_rows],
        "Supports",
    )

    window = int(SUPPORT_WINDOW.total_seconds())
    published = WishStatus.PUBLISHED.value
    rows = [
        (author, type_id, place, None, None, published, writer.stamp(now - timedelta(seconds=age)))
        for author, type_id, place, age in wish_rows
    ]
    # One area wish per resident and shop type (the database's rule): draw again on a repeat.
    area_seen: set[tuple[int, str]] = set()
    for attempt in itertools.count():
        if len(area_seen) == area_wishes:
            break
        if attempt > 50 * area_wishes:
            raise RuntimeError("could not place the area wishes; use fewer of them")
        code = rng.choices(codes, cum_weights=weights)[0]
        author_id = rng.choice(resident_ids)
        if (author_id, code) in area_seen:
            continue
        area_seen.add((author_id, code))
        rows.append(
            (
                author_id,
                types[code],
                None,
                round(rng.uniform(south, north), 6),
                round(rng.uniform(west, east), 6),
                published,
                writer.stamp(now - timedelta(seconds=rng.randrange(window))),
            )
        )
    writer.insert("wishes", CITY_WISH_COLUMNS, rows, "Wishes")
    return {
        "premises": premises,
        "residents": residents,
        "supports": supports,
        "area_wishes": area_wishes,
        "wishes": len(wish_rows),
    }


CITY_PREMISES_COLUMNS = (
    "reference",
    "address",
    "postcode",
    "city",
    "district_id",
    "latitude",
    "longitude",
    "surface_m2",
    "status",
    "landlord_name",
    "landlord_email",
    "let_shop_type_id",
    "let_on",
    "created_at",
    "updated_at",
)
CITY_RESIDENT_COLUMNS = (
    "email",
    "display_name",
    "password_hash",
    "role",
    "email_verified_at",
    "active",
    "created_at",
)
CITY_SUPPORT_COLUMNS = ("resident_id", "premises_id", "shop_type_id", "created_at")
CITY_WISH_COLUMNS = (
    "author_id",
    "shop_type_id",
    "premises_id",
    "latitude",
    "longitude",
    "status",
    "created_at",
)


def _city_demand(
    rng: random.Random,
    premises_ids: list[int],
    resident_ids: list[int],
    type_ids: list[int],
    type_cumulative: list[int],
    total: int,
    cap: int,
) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int, int, int]]]:
    """`total` distinct supports, a few premises much busier than the rest, and their wishes.

    Both as (resident or author, premises, shop type, age in seconds) tuples.
    """
    menu_size = len(CITY_TYPE_MENU_WEIGHTS)

    # A Zipf-like law: the premises ranked r draws demand in proportion to 1/r.
    ranks = list(range(1, len(premises_ids) + 1))
    rng.shuffle(ranks)
    premises_cumulative = list(itertools.accumulate(1 / rank for rank in ranks))
    menus = [
        [type_ids[i] for i in _distinct_choices(rng, type_cumulative, menu_size)]
        for _ in premises_ids
    ]
    menu_cumulative = list(itertools.accumulate(CITY_TYPE_MENU_WEIGHTS))
    window = int(SUPPORT_WINDOW.total_seconds())
    residents = len(resident_ids)
    uniform = rng.random  # a float drawn once is cheaper than randrange(), 300,000 times over

    seen: set[tuple[int, int, int]] = set()
    per_pair: dict[tuple[int, int], int] = {}
    first_supporter: dict[tuple[int, int], tuple[int, int]] = {}
    rows: list[tuple[int, int, int, int]] = []
    attempts = 0
    while len(rows) < total:
        batch = total - len(rows) + 100
        attempts += batch
        if attempts > 50 * total + 1000:
            raise RuntimeError("could not place the supports; use fewer of them")
        places = rng.choices(range(len(premises_ids)), cum_weights=premises_cumulative, k=batch)
        choices = rng.choices(range(menu_size), cum_weights=menu_cumulative, k=batch)
        for place, choice in zip(places, choices, strict=True):
            resident = resident_ids[int(uniform() * residents)]
            premises_id, shop_type_id = premises_ids[place], menus[place][choice]
            key = (resident, premises_id, shop_type_id)
            pair = (resident, premises_id)
            used = per_pair.get(pair, 0)
            if used >= cap or key in seen:
                continue
            seen.add(key)
            per_pair[pair] = used + 1
            age = int(uniform() * window)
            rows.append((resident, premises_id, shop_type_id, age))
            # The wish's author is whoever supported the type there first (the oldest support).
            wish_key = (premises_id, shop_type_id)
            first = first_supporter.get(wish_key)
            if first is None or first[0] < age:
                first_supporter[wish_key] = (age, resident)
            if len(rows) == total:
                break

    wishes = [
        (resident, shop_type_id, premises_id, age)
        for (premises_id, shop_type_id), (age, resident) in first_supporter.items()
    ]
    return rows, wishes


def _distinct_choices(rng: random.Random, cumulative: list[int], k: int) -> list[int]:
    """`k` distinct indexes into cumulative weights, heavier ones more likely."""
    chosen: list[int] = []
    while len(chosen) < min(k, len(cumulative)):
        index = rng.choices(range(len(cumulative)), cum_weights=cumulative)[0]
        if index not in chosen:
            chosen.append(index)
    return chosen
