"""Demo data: a small town to try Wishboard, and city- and metropolis-scale data to measure it.

The demo town is generated from a fixed seed and upserted by reference and e-mail, so loading it
again changes no row count. City- and metropolis-scale data are one loader with two sizes
(`BulkScale`), written in bulk, once.
"""

import itertools
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
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


def _ensure_districts(names: Sequence[str] = demo_town.DISTRICTS) -> dict[str, District]:
    """The districts named (the demo quartiers by default), created when missing, by name."""
    existing = {d.name: d for d in db.session.scalars(select(District))}
    for name in names:
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

    password_hash = generate_password_hash(DEMO_PASSWORD, settings.password_hash_method)
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
# City and metropolis scale: many rows, written in bulk

BULK_SEED = 2024
BULK_CHUNK = 10_000
# Each premises draws its demand from a short menu of types, most wanted first.
BULK_TYPE_MENU_WEIGHTS = (35, 25, 15, 10, 8, 7)
# Paris and its inner suburbs, about 30 km from west to east and 20 km from south to north: the
# metropolis lies there whatever the app's map bounds (serve it with `map_environment()`).
METROPOLIS_BOUNDS = (48.767, 2.147, 48.947, 2.557)
# Street names found in most French towns, for the metropolis's addresses.
COMMON_STREETS = (
    "rue de la République",
    "avenue Jean-Jaurès",
    "rue Victor-Hugo",
    "boulevard Gambetta",
    "rue Pasteur",
    "rue de la Gare",
    "rue du Marché",
    "avenue de la Paix",
    "rue Jules-Ferry",
    "place de la Mairie",
    "rue Émile-Zola",
    "avenue du Général-Leclerc",
    "rue Jean-Moulin",
    "rue de l'Église",
    "boulevard de la Liberté",
    "rue Voltaire",
)


@dataclass(frozen=True)
class BulkScale:
    """The size and shape of a data set written in bulk: `wishboard demo --scale <name>`."""

    name: str
    prefix: str  # of its premises' and shops' references
    email_domain: str  # of its residents' addresses
    premises: int
    residents: int
    supports: int
    area_wishes: int
    shops: int = 0
    # Districts as a grid of (columns, rows) cells over `bounds`. None: the demo town's
    # quartiers, each place named after the nearest demo street, within the app's map bounds.
    grid: tuple[int, int] | None = None
    bounds: tuple[float, float, float, float] | None = None
    map_zoom: int = 11

    def resized(self, **counts: int) -> "BulkScale":
        """The same data set with other counts (a small one for the tests)."""
        return replace(self, **counts)

    def counts(self) -> dict[str, int]:
        """What it asks for, as `bulk_counts` reports what a database holds."""
        names = ("premises", "residents", "supports", "area_wishes", "shops")
        return {name: getattr(self, name) for name in names}

    def map_environment(self) -> dict[str, str]:
        """The settings that frame the map on it; empty when it lies in the app's own bounds."""
        if self.bounds is None:
            return {}
        south, west, north, east = self.bounds
        return {
            "WISHBOARD_MAP_BOUNDS": ",".join(f"{value:g}" for value in self.bounds),
            "WISHBOARD_MAP_CENTER": f"{(south + north) / 2:.4f},{(west + east) / 2:.4f}",
            "WISHBOARD_MAP_ZOOM": str(self.map_zoom),
        }


CITY = BulkScale(
    "city",
    prefix="CITY-",
    email_domain="city.wishboard.test",
    premises=5000,
    residents=50000,
    supports=200000,
    area_wishes=20000,
)
METROPOLIS = BulkScale(
    "metropolis",
    prefix="METRO-",
    email_domain="metro.wishboard.test",
    premises=50000,
    residents=500000,
    supports=2000000,
    area_wishes=200000,
    shops=20000,
    grid=(8, 5),
    bounds=METROPOLIS_BOUNDS,
)
BULK_SCALES = {scale.name: scale for scale in (CITY, METROPOLIS)}


def _chunks(rows: list[tuple]) -> list[list[tuple]]:
    """`rows` cut into slices: one executemany, or one step of the progress bar, each."""
    return [rows[start : start + BULK_CHUNK] for start in range(0, len(rows), BULK_CHUNK)]


class _BulkWriter:
    """Rows handed straight to the database driver, their values already in its own types.

    The ORM's, and even SQLAlchemy Core's, work on each of 300,000 parameters would take longer
    than the database takes to store them. PostgreSQL (psycopg 3) takes them through COPY, many
    times faster than inserts; SQLite through executemany.
    """

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.connection = db.session.connection()
        dialect = self.connection.dialect
        self.sqlite = dialect.name == "sqlite"
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def stamp(self, value: datetime | date | None) -> Any:
        """A date or time as the driver takes it: SQLite keeps them as text, as SQLAlchemy does."""
        if value is None or not self.sqlite:
            return value
        if isinstance(value, datetime):
            return value.isoformat(" ", "microseconds")
        return value.isoformat()

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple], label: str) -> None:
        """Write `rows` into `table`, in the session's transaction, with a progress bar."""
        if self.copy:
            # The session's own connection, so the rows are in its transaction.
            driver = self.connection.connection.driver_connection
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self._checked_after(table), driver.cursor() as cursor, cursor.copy(sql) as copy:
                for chunk in track(self.progress, _chunks(rows), label):
                    for row in chunk:
                        copy.write_row(row)
            return
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for chunk in track(self.progress, _chunks(rows), label):
            self.connection.exec_driver_sql(sql, chunk)

    @contextmanager
    def _checked_after(self, table: str) -> Iterator[None]:
        """PostgreSQL: `table`'s foreign keys and plain indexes dropped while it is loaded, then
        made again, in the same transaction.

        Checking every reference in one join and building each index once is many times faster
        than doing both row by row (PostgreSQL's manual, "Populating a Database"): 2,000,000
        supports spent most of their load there. Its primary key and unique constraints stay:
        they keep their rules while the rows go in, and a unique index is checked when made.
        """
        run = self.connection.execute
        foreign_keys = run(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:table AS regclass) AND contype = 'f'"
            ),
            {"table": table},
        ).all()
        indexes = run(
            text(
                "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index"
                " JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
                " WHERE pg_index.indrelid = CAST(:table AS regclass) AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint WHERE conrelid = pg_index.indrelid"
                "  AND conindid = pg_index.indexrelid AND contype IN ('p', 'u', 'x'))"
            ),
            {"table": table},
        ).all()
        quote = self.connection.dialect.identifier_preparer.quote
        # A table with trigger events still waiting for the commit (the data version's, for the
        # districts and shop types written first) cannot take a new foreign key: fire them now.
        self.connection.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _ in foreign_keys:
            self.connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            self.connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
        yield
        self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            self.connection.exec_driver_sql(definition)
        for name, definition in foreign_keys:
            self.connection.exec_driver_sql(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            )

    def analyze(self) -> None:
        """Fresh statistics for PostgreSQL's planner: it would plan for the tables still empty."""
        if not self.sqlite:
            self.connection.exec_driver_sql(f"ANALYZE {', '.join(ANALYZED_TABLES)}")


ANALYZED_TABLES = ("districts", "premises", "users", "supports", "wishes", "shops", "demand_counts")


class _StreetPlaces:
    """The city's places: in the app's map bounds, named after the nearest demo street."""

    def __init__(self, bounds: Sequence[float], districts: list[str]) -> None:
        self.bounds = tuple(bounds)
        self.districts = districts
        self.middles = [
            ((s.start[0] + s.end[0]) / 2, (s.start[1] + s.end[1]) / 2, s) for s in demo_town.STREETS
        ]

    def address(
        self, rng: random.Random, latitude: float, longitude: float
    ) -> tuple[str, str, str, str]:
        """(street, postcode, town, district) of a position."""
        street = _nearest_street(latitude, longitude, self.middles)
        return street.name, street.postcode, demo_town.CITY, street.district


class _GridPlaces:
    """The metropolis's places: its bounds cut into a grid, one district per cell."""

    def __init__(self, bounds: Sequence[float], grid: tuple[int, int], districts: list[str]):
        self.bounds = tuple(bounds)
        self.columns, self.rows = grid
        self.districts = districts  # one per cell, row by row from the north-west corner

    def cell(self, latitude: float, longitude: float) -> int:
        """The number (from 0) of the cell a position lies in."""
        south, west, north, east = self.bounds
        column = min(int((longitude - west) / (east - west) * self.columns), self.columns - 1)
        row = min(int((north - latitude) / (north - south) * self.rows), self.rows - 1)
        return row * self.columns + column

    def address(
        self, rng: random.Random, latitude: float, longitude: float
    ) -> tuple[str, str, str, str]:
        """(street, postcode, town, district) of a position."""
        cell = self.cell(latitude, longitude)
        street = COMMON_STREETS[int(rng.random() * len(COMMON_STREETS))]
        return street, f"75{cell % 20 + 1:03d}", "Grand Paris", self.districts[cell]


def district_names(scale: BulkScale) -> list[str]:
    """The districts of `scale`: the demo town's, or one per cell of its grid."""
    if scale.grid is None:
        return list(demo_town.DISTRICTS)
    columns, rows = scale.grid
    # Numbered from the north-west corner, row by row.
    return [f"Secteur {number:02d}" for number in range(1, columns * rows + 1)]


def _places(scale: BulkScale, map_bounds: Sequence[float]) -> _StreetPlaces | _GridPlaces:
    """Where `scale`'s rows lie: its own bounds, or else the app's map bounds."""
    bounds = scale.bounds or map_bounds
    if scale.grid is None:
        return _StreetPlaces(bounds, district_names(scale))
    return _GridPlaces(bounds, scale.grid, district_names(scale))


def bulk_counts(scale: BulkScale) -> dict[str, int]:
    """What data of `scale` the database holds (zeros when none)."""
    own_premises = Premises.reference.like(f"{scale.prefix}P-%")
    own_user = User.email.like(f"%@{scale.email_domain}")

    def count(query) -> int:
        return db.session.scalar(query) or 0

    return {
        "premises": count(select(func.count(Premises.id)).where(own_premises)),
        "residents": count(select(func.count(User.id)).where(own_user)),
        # Its residents' supports: not those others gave since (a benchmark's toggle, say).
        "supports": count(
            select(func.count(Support.id))
            .join(User, User.id == Support.resident_id)
            .where(own_user)
        ),
        "area_wishes": count(
            select(func.count(Wish.id))
            .join(User, User.id == Wish.author_id)
            .where(Wish.premises_id.is_(None), own_user)
        ),
        "wishes": count(select(func.count(Wish.id)).join(Wish.premises).where(own_premises)),
        "shops": count(
            select(func.count(Shop.id)).where(Shop.reference.like(f"{scale.prefix}S-%"))
        ),
        "districts": count(
            select(func.count(District.id)).where(District.name.in_(district_names(scale)))
        ),
    }


def holds(scale: BulkScale) -> bool:
    """Whether the database holds exactly the data set `scale` asks for."""
    held = bulk_counts(scale)
    return {name: held[name] for name in scale.counts()} == scale.counts()


def _nearest_street(latitude: float, longitude: float, middles) -> Street:
    """The demo street whose middle is closest, to name an address and its quartier."""
    return min(middles, key=lambda m: (m[0] - latitude) ** 2 + (m[1] - longitude) ** 2)[2]


def load_city(
    settings: Settings, progress: Progress | None = None, seed: int = BULK_SEED, **counts: int
) -> dict[str, int]:
    """City-scale data (`CITY`, or `counts` of it) in the app's map bounds; see `load_scale`."""
    return load_scale(settings, CITY.resized(**counts), progress, seed)


def load_metropolis(
    settings: Settings, progress: Progress | None = None, seed: int = BULK_SEED, **counts: int
) -> dict[str, int]:
    """Metropolis-scale data (`METROPOLIS`, or other `counts` of it); see `load_scale`."""
    return load_scale(settings, METROPOLIS.resized(**counts), progress, seed)


def load_scale(
    settings: Settings,
    scale: BulkScale,
    progress: Progress | None = None,
    seed: int = BULK_SEED,
) -> dict[str, int]:
    """Write `scale`'s data in bulk and return its counts; does nothing if it is already there.

    All in one transaction: a failure leaves nothing of it.
    """
    if db.session.scalar(
        select(func.count(Premises.id)).where(Premises.reference.like(f"{scale.prefix}P-%"))
    ):
        return bulk_counts(scale)
    cap = settings.max_types_per_premises
    if min(scale.premises, scale.residents) < 1 or min(scale.supports, scale.area_wishes) < 0:
        raise ValueError(f"{scale.name}-scale data needs at least one premises and one resident")
    if scale.shops < 0:
        raise ValueError("the number of shops cannot be negative")
    # Drawing at random, supports would take ever longer to find a free place past half of them.
    menu = min(cap, len(BULK_TYPE_MENU_WEIGHTS))
    if scale.supports > scale.premises * scale.residents * menu // 2:
        raise ValueError(f"{scale.supports} supports do not fit: too few premises or residents")
    try:
        places = _places(scale, settings.map_bounds)
        return _write_bulk(progress, scale, seed, cap, places, settings.password_hash_method)
    except Exception:
        db.session.rollback()  # half-written data would pass for complete on the next run
        raise


def _write_bulk(
    progress: Progress | None,
    scale: BulkScale,
    seed: int,
    cap: int,
    places: _StreetPlaces | _GridPlaces,
    hash_method: str,
) -> dict[str, int]:
    """Draw the rows of `scale` from `seed` and insert them in bulk, in one transaction."""
    taxonomy.load_shop_types()
    rng = random.Random(seed)
    _ensure_districts(places.districts)
    db.session.flush()
    writer = _BulkWriter(progress)
    with triggers_paused(writer.connection):
        counts = _write_bulk_rows(writer, rng, scale, places, cap, hash_method)
    writer.analyze()
    db.session.commit()
    return counts


def _write_bulk_rows(
    writer: _BulkWriter,
    rng: random.Random,
    scale: BulkScale,
    places: _StreetPlaces | _GridPlaces,
    cap: int,
    hash_method: str,
) -> dict[str, int]:
    """The rows of `_write_bulk`, drawn and inserted."""
    now, today = utcnow(), date.today()
    south, west, north, east = places.bounds
    district_ids = {d.name: d.id for d in db.session.scalars(select(District))}
    types = {
        code: type_id
        for code, type_id in db.session.execute(
            select(ShopType.code, ShopType.id).where(ShopType.active)
        )
    }
    codes = list(types)
    weights = list(itertools.accumulate(demo_town.WANTED_SHOP_TYPES.get(code, 1) for code in codes))
    created = writer.stamp(now)

    premises_rows = []
    for index in range(scale.premises):
        latitude, longitude = rng.uniform(south, north), rng.uniform(west, east)
        street, postcode, town, district = places.address(rng, latitude, longitude)
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
                f"{scale.prefix}P-{index:07d}",
                f"{rng.randint(1, 200)} {street}",
                postcode,
                town,
                district_ids[district],
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
    writer.insert("premises", BULK_PREMISES_COLUMNS, premises_rows, "Premises")
    del premises_rows
    premises_ids = list(
        db.session.scalars(
            select(Premises.id)
            .where(Premises.reference.like(f"{scale.prefix}P-%"))
            .order_by(Premises.reference)
        )
    )

    # One hash for everyone: hashing is slow on purpose, and nobody signs in as these residents.
    password_hash = generate_password_hash(DEMO_PASSWORD, hash_method)
    first_names = demo_town.RESIDENT_NAMES
    resident_rows = [
        (
            f"resident{index:07d}@{scale.email_domain}",
            f"{rng.choice(first_names)} {chr(65 + rng.randrange(26))}.",
            password_hash,
            Role.RESIDENT.value,
            created,
            True,
            created,
        )
        for index in range(scale.residents)
    ]
    writer.insert("users", BULK_RESIDENT_COLUMNS, resident_rows, "Residents")
    del resident_rows
    resident_ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"%@{scale.email_domain}")).order_by(User.email)
        )
    )

    support_rows, wish_rows = _bulk_demand(
        rng, premises_ids, resident_ids, [types[c] for c in codes], weights, scale.supports, cap
    )
    stamp = writer.stamp
    writer.insert(
        "supports",
        BULK_SUPPORT_COLUMNS,
        [(r, p, t, stamp(now - timedelta(seconds=age))) for r, p, t, age in support_rows],
        "Supports",
    )
    del support_rows

    window = int(SUPPORT_WINDOW.total_seconds())
    published = WishStatus.PUBLISHED.value
    rows = [
        (author, type_id, place, None, None, published, stamp(now - timedelta(seconds=age)))
        for author, type_id, place, age in wish_rows
    ]
    # One area wish per resident and shop type (the database's rule): draw again on a repeat.
    area_seen: set[tuple[int, str]] = set()
    for attempt in itertools.count():
        if len(area_seen) == scale.area_wishes:
            break
        if attempt > 50 * scale.area_wishes:
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
                stamp(now - timedelta(seconds=rng.randrange(window))),
            )
        )
    writer.insert("wishes", BULK_WISH_COLUMNS, rows, "Wishes")

    if scale.shops:
        writer.insert(
            "shops",
            BULK_SHOP_COLUMNS,
            _bulk_shops(rng, scale, places, types, district_ids, created),
            "Shops",
        )
    return {
        "premises": scale.premises,
        "residents": scale.residents,
        "supports": scale.supports,
        "area_wishes": scale.area_wishes,
        "wishes": len(wish_rows),
        "shops": scale.shops,
        "districts": len(places.districts),
    }


def _bulk_shops(
    rng: random.Random,
    scale: BulkScale,
    places: _StreetPlaces | _GridPlaces,
    types: dict[str, int],
    district_ids: dict[str, int],
    created: Any,
) -> list[tuple]:
    """The open shops of the directory, common trades more often than rare ones."""
    labels = dict(db.session.execute(select(ShopType.code, ShopType.label_fr)).all())
    codes = [code for code in types if code not in demo_town.NOT_IN_DIRECTORY]
    cumulative = list(
        itertools.accumulate(demo_town.OPEN_SHOP_WEIGHTS.get(code, 1) for code in codes)
    )
    south, west, north, east = places.bounds
    presences = [Presence.YES.value, Presence.NO.value, Presence.UNKNOWN.value]
    rows = []
    for index in range(scale.shops):
        latitude, longitude = rng.uniform(south, north), rng.uniform(west, east)
        street, postcode, town, district = places.address(rng, latitude, longitude)
        code = rng.choices(codes, cum_weights=cumulative)[0]
        word = demo_town.SIGN_WORDS.get(code, labels[code])
        name = f"{word} {rng.choice(demo_town.SURNAMES)}"
        reference = f"{scale.prefix}S-{index:07d}"
        has_phone, has_website = rng.random() < 0.65, rng.random() < 0.35
        site = f"https://{_slug(reference)}.example.org"
        rows.append(
            (
                reference,
                name,
                types[code],
                f"{rng.randint(1, 200)} {street}",
                postcode,
                town,
                district_ids[district],
                round(latitude, 6),
                round(longitude, 6),
                f"01 4{index % 10} {index // 10 % 100:02d} {index // 1000 % 100:02d} 00"
                if has_phone
                else None,
                site if has_website else None,
                demo_town.OPENING_HOURS.get(code, demo_town.DEFAULT_OPENING_HOURS),
                Presence.YES.value if has_website else presences[1 + index % 2],
                presences[index % 3],
                presences[(index + 1) % 3],
                created,
                created,
            )
        )
    return rows


BULK_PREMISES_COLUMNS = (
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
BULK_RESIDENT_COLUMNS = (
    "email",
    "display_name",
    "password_hash",
    "role",
    "email_verified_at",
    "active",
    "created_at",
)
BULK_SUPPORT_COLUMNS = ("resident_id", "premises_id", "shop_type_id", "created_at")
BULK_WISH_COLUMNS = (
    "author_id",
    "shop_type_id",
    "premises_id",
    "latitude",
    "longitude",
    "status",
    "created_at",
)
BULK_SHOP_COLUMNS = (
    "reference",
    "name",
    "shop_type_id",
    "address",
    "postcode",
    "city",
    "district_id",
    "latitude",
    "longitude",
    "phone",
    "website",
    "opening_hours",
    "has_website",
    "has_social",
    "on_map_service",
    "created_at",
    "updated_at",
)


def _bulk_demand(
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
    menu_size = len(BULK_TYPE_MENU_WEIGHTS)

    # A Zipf-like law: the premises ranked r draws demand in proportion to 1/r.
    ranks = list(range(1, len(premises_ids) + 1))
    rng.shuffle(ranks)
    premises_cumulative = list(itertools.accumulate(1 / rank for rank in ranks))
    menus = [
        [type_ids[i] for i in _distinct_choices(rng, type_cumulative, menu_size)]
        for _ in premises_ids
    ]
    menu_cumulative = list(itertools.accumulate(BULK_TYPE_MENU_WEIGHTS))
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
