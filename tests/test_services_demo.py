"""The demo town and the city-scale data."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from werkzeug.security import check_password_hash

from tests.conftest import make_app, postgres_url
from wishboard.data import demo, demo_town
from wishboard.extensions import db
from wishboard.models import (
    DataVersion,
    DemandCount,
    District,
    Premises,
    PremisesStatus,
    Role,
    Shop,
    ShopType,
    ShopTypeGroup,
    Support,
    User,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.settings import settings

SMALL_CITY = {"premises": 200, "residents": 500, "supports": 2000, "area_wishes": 100}


def table_counts() -> dict[str, int]:
    """How many rows every table holds."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def inside_bounds(app, latitude: float, longitude: float) -> bool:
    south, west, north, east = app.config["WISHBOARD_MAP_BOUNDS"]
    return south <= latitude <= north and west <= longitude <= east


def supports_per_resident_and_premises() -> Counter:
    return Counter(
        (resident, premises)
        for resident, premises in db.session.execute(
            select(Support.resident_id, Support.premises_id)
        )
    )


def assert_one_wish_per_supported_type_by_a_supporter() -> None:
    supported = {
        tuple(row) for row in db.session.execute(select(Support.premises_id, Support.shop_type_id))
    }
    wishes = db.session.execute(
        select(Wish.premises_id, Wish.shop_type_id, Wish.author_id).where(
            Wish.premises_id.is_not(None)
        )
    ).all()
    assert sorted((p, t) for p, t, _ in wishes) == sorted(supported)
    supporters = {
        tuple(row)
        for row in db.session.execute(
            select(Support.premises_id, Support.shop_type_id, Support.resident_id)
        )
    }
    assert all(tuple(wish) in supporters for wish in wishes)


# The street data ------------------------------------------------------------------------------


def test_streets_are_real_parts_of_the_19th_and_20th(app):
    assert len({street.name for street in demo_town.STREETS}) >= 30
    for street in demo_town.STREETS:
        assert street.district in demo_town.DISTRICTS
        assert street.postcode in {"75019", "75020"}
        assert street.first_number < street.last_number
        for latitude, longitude in (street.start, street.end):
            assert inside_bounds(app, latitude, longitude), street.name


def test_every_shop_type_the_demo_names_is_in_the_taxonomy(app):
    codes = set(db.session.scalars(select(ShopType.code)))
    named = (
        set(demo_town.WANTED_SHOP_TYPES)
        | set(demo_town.OPEN_SHOP_WEIGHTS)
        | set(demo_town.OPENING_HOURS)
        | set(demo_town.SIGN_WORDS)
        | set(demo_town.COMMENTS)
    )
    assert named - codes == set()


# The demo town --------------------------------------------------------------------------------


def test_the_demo_town_returns_logins_that_work(app):
    logins = demo.load_demo_town(settings())

    assert [login.role for login in logins] == ["landlord", "moderator", "admin", "resident"]
    for login in logins:
        user = db.session.scalar(select(User).where(User.email == login.email))
        assert user.role is Role(login.role)
        assert user.is_verified and user.active
        assert check_password_hash(user.password_hash, login.password)
    assert logins[-1].email == "camille@demo.wishboard.test"
    assert logins[0].password == demo.DEMO_PASSWORD


def test_the_demo_town_has_premises_shops_and_residents(app):
    demo.load_demo_town(settings())

    statuses = Counter(db.session.scalars(select(Premises.status)))
    assert statuses == {
        PremisesStatus.VACANT: 40,
        PremisesStatus.LET: 2,
        PremisesStatus.WITHDRAWN: 1,
    }
    for premises in db.session.scalars(select(Premises).where(Premises.status == "let")):
        assert premises.let_shop_type is not None and premises.let_on is not None
    assert db.session.scalar(select(func.count(Shop.id))) == 200
    residents = db.session.scalars(select(User).where(User.role == Role.RESIDENT)).all()
    assert len(residents) == 25 and all(resident.is_verified for resident in residents)

    landlord = db.session.scalar(select(User).where(User.role == Role.LANDLORD))
    owned = db.session.scalars(select(Premises).where(Premises.landlord_id == landlord.id)).all()
    assert len(owned) == 10
    others = db.session.scalars(select(Premises).where(Premises.landlord_id.is_(None))).all()
    assert all(p.landlord_name and p.landlord_email.endswith("example.org") for p in others)

    surfaces = db.session.scalars(select(Premises.surface_m2)).all()
    assert min(surfaces) >= 25 and max(surfaces) <= 250
    shops = db.session.scalars(select(Shop)).all()
    assert len({shop.name for shop in shops}) == len(shops)
    assert any(shop.phone for shop in shops) and any(shop.opening_hours for shop in shops)
    assert db.session.scalar(select(Shop).where(Shop.reference == "DEMO-S-001")).postcode in {
        "75019",
        "75020",
    }


def test_loading_the_demo_town_twice_changes_no_row_count(app):
    demo.load_demo_town(settings())
    db.session.commit()
    first = table_counts()

    demo.load_demo_town(settings())

    assert table_counts() == first
    assert first["premises"] == 43 and first["supports"] > 100


def test_a_type_added_by_an_admin_does_not_change_the_demo_on_reload(app):
    demo.load_demo_town(settings())
    food = db.session.scalar(select(ShopTypeGroup).where(ShopTypeGroup.code == "food"))
    db.session.add(
        ShopType(code="shop=pasta", label_fr="Pâtes fraîches", label_en="Pasta", group=food)
    )
    db.session.commit()
    first = table_counts()

    demo.load_demo_town(settings())

    assert table_counts() == first


def test_everything_in_the_demo_town_is_placed_in_bounds_and_districts(app):
    demo.load_demo_town(settings())

    premises = db.session.scalars(select(Premises)).all()
    assert {p.district.name for p in premises} <= set(demo_town.DISTRICTS)
    places = [(p.latitude, p.longitude) for p in premises]
    places += [(s.latitude, s.longitude) for s in db.session.scalars(select(Shop))]
    area_wishes = db.session.scalars(select(Wish).where(Wish.premises_id.is_(None))).all()
    places += [(w.latitude, w.longitude) for w in area_wishes]
    assert [place for place in places if not inside_bounds(app, *place)] == []
    assert all(shop.district is not None for shop in db.session.scalars(select(Shop)))
    assert len({(p.latitude, p.longitude) for p in premises}) == len(premises)


def test_demo_supports_respect_the_cap_and_each_has_its_wish(app):
    demo.load_demo_town(settings())

    cap = app.config["WISHBOARD_MAX_TYPES_PER_PREMISES"]
    assert max(supports_per_resident_and_premises().values()) <= cap
    assert_one_wish_per_supported_type_by_a_supporter()

    now = utcnow()
    ages = [now - created for created in db.session.scalars(select(Support.created_at))]
    assert all(timedelta(0) <= age <= timedelta(weeks=12, minutes=1) for age in ages)
    assert max(ages) > timedelta(weeks=8)  # spread over the weeks, not all today

    commented = db.session.scalars(select(Wish).where(Wish.comment.is_not(None))).all()
    assert len(commented) == 15
    assert Counter(w.status for w in commented)[WishStatus.PENDING] == 3
    published = [w for w in commented if w.status is WishStatus.PUBLISHED]
    moderator = db.session.scalar(select(User).where(User.role == Role.MODERATOR))
    assert all(w.moderated_by_id == moderator.id and w.moderated_at for w in published)
    area_wishes = db.session.scalar(select(func.count(Wish.id)).where(Wish.premises_id.is_(None)))
    assert area_wishes == 10


def test_the_demo_town_keeps_a_resident_under_the_cap_after_own_supports(app):
    demo.load_demo_town(settings())
    busiest_id, resident_id = db.session.execute(
        select(Support.premises_id, Support.resident_id)
        .group_by(Support.premises_id, Support.resident_id)
        .order_by(func.count(Support.id).desc())
    ).first()
    db.session.execute(
        text("DELETE FROM supports WHERE premises_id = :p AND resident_id = :r"),
        {"p": busiest_id, "r": resident_id},
    )
    for code in ("shop=toys", "shop=pet", "shop=music"):
        db.session.add(
            Support(
                resident_id=resident_id,
                premises_id=busiest_id,
                shop_type_id=db.session.scalar(select(ShopType.id).where(ShopType.code == code)),
            )
        )
    db.session.commit()

    demo.load_demo_town(settings())

    assert supports_per_resident_and_premises()[resident_id, busiest_id] == 3


# City scale -----------------------------------------------------------------------------------


def test_load_city_writes_exactly_the_numbers_asked(app):
    counts = demo.load_city(settings(), **SMALL_CITY)

    assert {key: counts[key] for key in SMALL_CITY} == SMALL_CITY
    city_premises = Premises.reference.like("CITY-%")
    assert db.session.scalar(select(func.count(Premises.id)).where(city_premises)) == 200
    assert db.session.scalar(select(func.count(User.id))) == 500
    assert db.session.scalar(select(func.count(Support.id))) == 2000
    assert db.session.scalar(select(func.count(Wish.id)).where(Wish.premises_id.is_(None))) == 100
    assert db.session.scalar(select(func.count(Wish.id))) == counts["wishes"] + 100
    hashes = db.session.scalars(select(User.password_hash).distinct()).all()
    assert len(hashes) == 1


def test_city_supports_are_unique_capped_skewed_and_wished(app):
    demo.load_city(settings(), **SMALL_CITY)

    triples = [
        tuple(row)
        for row in db.session.execute(
            select(Support.resident_id, Support.premises_id, Support.shop_type_id)
        )
    ]
    assert len(set(triples)) == len(triples)
    assert max(supports_per_resident_and_premises().values()) <= 3
    assert_one_wish_per_supported_type_by_a_supporter()

    per_premises = sorted(Counter(premises for _, premises, _ in triples).values())
    median = per_premises[len(per_premises) // 2]
    assert per_premises[-1] > 10 * median  # one premises is much busier than most


def test_city_data_lies_in_the_map_bounds_and_districts(app):
    demo.load_city(settings(), **SMALL_CITY)

    places = db.session.execute(select(Premises.latitude, Premises.longitude)).all()
    places += db.session.execute(
        select(Wish.latitude, Wish.longitude).where(Wish.premises_id.is_(None))
    ).all()
    assert [place for place in places if not inside_bounds(app, *place)] == []
    districts = db.session.scalars(select(District.name).join(Premises.district)).all()
    assert len(districts) == 200
    assert set(districts) <= set(demo_town.DISTRICTS)


def test_loading_the_city_twice_adds_nothing(app):
    first_counts = demo.load_city(settings(), **SMALL_CITY)
    tables = table_counts()

    assert demo.load_city(settings(), **SMALL_CITY) == first_counts
    assert table_counts() == tables


def test_load_city_reports_progress_per_table(app):
    labels = []

    def progress(items, label):
        labels.append(label)
        return list(items)

    demo.load_city(
        settings(), progress=progress, premises=20, residents=30, supports=50, area_wishes=5
    )

    assert labels == ["Premises", "Residents", "Supports", "Wishes"]


def test_load_city_refuses_more_supports_than_can_fit(app):
    with pytest.raises(ValueError):
        demo.load_city(settings(), premises=2, residents=2, supports=100, area_wishes=0)
    assert db.session.scalar(select(func.count(Premises.id))) == 0


# Metropolis scale: the city's loader with districts on a grid, shops, and its own bounds -------

SMALL_METROPOLIS = {
    "premises": 300,
    "residents": 400,
    "supports": 2500,
    "area_wishes": 150,
    "shops": 120,
}


def test_metropolis_writes_exactly_the_numbers_asked_on_either_database(any_db_app):
    counts = demo.load_metropolis(settings(), **SMALL_METROPOLIS)

    assert {key: counts[key] for key in SMALL_METROPOLIS} == SMALL_METROPOLIS
    assert counts["districts"] == 40
    assert db.session.scalar(select(func.count(Premises.id))) == 300
    assert db.session.scalar(select(func.count(User.id))) == 400
    assert db.session.scalar(select(func.count(Support.id))) == 2500
    assert db.session.scalar(select(func.count(Shop.id))) == 120
    assert db.session.scalar(select(func.count(Wish.id)).where(Wish.premises_id.is_(None))) == 150
    assert db.session.scalar(select(func.count(Wish.id))) == counts["wishes"] + 150
    assert demo.holds(demo.METROPOLIS.resized(**SMALL_METROPOLIS))
    assert not demo.holds(demo.METROPOLIS)


def test_metropolis_demand_counts_match_its_supports_on_either_database(any_db_app):
    version = db.session.scalar(select(DataVersion.version))
    demo.load_metropolis(settings(), **SMALL_METROPOLIS)

    counted = Counter(
        tuple(row) for row in db.session.execute(select(Support.premises_id, Support.shop_type_id))
    )
    stored = {
        (row.premises_id, row.shop_type_id): row.supports
        for row in db.session.scalars(select(DemandCount))
    }
    assert stored == dict(counted)
    assert db.session.scalar(select(DataVersion.version)) > version
    assert_one_wish_per_supported_type_by_a_supporter()
    assert max(supports_per_resident_and_premises().values()) <= 3


def test_metropolis_places_premises_shops_and_wishes_in_its_grid_of_districts(app):
    demo.load_metropolis(settings(), **SMALL_METROPOLIS)

    south, west, north, east = demo.METROPOLIS_BOUNDS
    grid = demo._places(demo.METROPOLIS, settings().map_bounds)
    districts = {d.id: d.name for d in db.session.scalars(select(District))}
    assert sorted(districts.values()) == [f"Secteur {n:02d}" for n in range(1, 41)]
    for model in (Premises, Shop):
        for row in db.session.scalars(select(model)):
            assert south <= row.latitude <= north and west <= row.longitude <= east
            assert (
                districts[row.district_id] == grid.districts[grid.cell(row.latitude, row.longitude)]
            )
    for latitude, longitude in db.session.execute(
        select(Wish.latitude, Wish.longitude).where(Wish.premises_id.is_(None))
    ):
        assert south <= latitude <= north and west <= longitude <= east
    # Spread over the metropolis, not gathered in a corner.
    assert len(set(db.session.scalars(select(Premises.district_id)))) > 30
    shops = db.session.scalars(select(Shop)).all()
    assert all(shop.name and shop.address and shop.shop_type_id for shop in shops)
    assert len({shop.shop_type_id for shop in shops}) > 10


def test_the_metropolis_frames_the_map_on_its_own_bounds():
    environment = demo.METROPOLIS.map_environment()

    assert environment["WISHBOARD_MAP_BOUNDS"] == "48.767,2.147,48.947,2.557"
    latitude, longitude = map(float, environment["WISHBOARD_MAP_CENTER"].split(","))
    assert 48.767 < latitude < 48.947 and 2.147 < longitude < 2.557
    assert demo.CITY.map_environment() == {}


def test_loading_the_metropolis_twice_adds_nothing(app):
    first_counts = demo.load_metropolis(settings(), **SMALL_METROPOLIS)
    tables = table_counts()

    assert demo.load_metropolis(settings(), **SMALL_METROPOLIS) == first_counts
    assert table_counts() == tables


def test_a_failed_metropolis_load_leaves_nothing(app, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(demo, "_bulk_shops", fail)
    with pytest.raises(RuntimeError):
        demo.load_metropolis(settings(), **SMALL_METROPOLIS)

    assert db.session.scalar(select(func.count(Premises.id))) == 0
    assert db.session.scalar(select(func.count(Support.id))) == 0
    assert db.session.scalar(select(func.count(DemandCount.premises_id))) == 0


def test_load_metropolis_reports_progress_per_table_shops_included(app):
    labels = []

    def progress(items, label):
        labels.append(label)
        return list(items)

    demo.load_metropolis(
        settings(),
        progress=progress,
        premises=20,
        residents=30,
        supports=50,
        area_wishes=5,
        shops=5,
    )

    assert labels == ["Premises", "Residents", "Supports", "Wishes", "Shops"]


@pytest.mark.postgres
def test_the_metropolis_load_leaves_postgresql_constraints_and_indexes_as_it_found_them():
    app = make_app(postgres_url())
    with app.app_context():
        schema = text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
            " UNION ALL SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' ORDER BY 1, 2, 3"
        )
        before = db.session.execute(schema).all()
        db.session.rollback()

        demo.load_metropolis(settings(), **SMALL_METROPOLIS)

        assert db.session.execute(schema).all() == before
        db.session.remove()
        db.engine.dispose()
