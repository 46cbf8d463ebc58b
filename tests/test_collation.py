"""Names sort as in a French or English dictionary, in SQL on SQLite and PostgreSQL, and in Python.

Letters decide first, then accents, then case: "Aïcha" comes before "Antoine", "élodie" next to
"Eric". Each list below is paginated in SQL, so the order must come from the database.
"""

import random

import psycopg
import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import postgres_url
from wishboard.collation import _LEVEL, _spelled_key, dictionary_order, sort_key
from wishboard.extensions import db
from wishboard.models import District, Role, User
from wishboard.services import audit
from wishboard.services.demand import stats
from wishboard.services.people.users import UserSearch, search_users
from wishboard.services.premises import management as premises_management
from wishboard.services.premises.listing import landlord_premises
from wishboard.services.premises.management import StaffFilter, StaffSort
from wishboard.services.shops import directory as shops
from wishboard.services.shops import management as shop_management
from wishboard.services.shops import visibility

# The order a dictionary gives: a lower-case or accented first letter is no reason to come last.
NAMES = [
    "Aïcha",
    "albert",
    "Antoine",
    "Ça va bien",
    "Cave à vins",
    "d'Artagnan",
    "de Gaulle",
    "De Gaulle",
    "Ecole",
    "école",
    "Élodie",
    "Eric",
    "Jean Paul",
    "Jean-Pierre",
    "Jeanne",
    "L'Atelier",
    "La Cave",
    "Œdipe",
    "Oscar",
    "Zoe",
    "zoé",
]


def shuffled(names: list[str]) -> list[str]:
    mixed = names[:]
    random.Random(2017).shuffle(mixed)
    assert mixed != names
    return mixed


def test_the_sort_key_gives_dictionary_order() -> None:
    assert sorted(shuffled(NAMES), key=sort_key) == NAMES
    # Invisible characters weigh nothing; None stays None (a missing name).
    assert sort_key("Os\u200bcar") < sort_key("Oscars")
    assert sort_key(None) is None


@pytest.mark.postgres
def test_the_sort_key_agrees_with_icu_on_postgresql() -> None:
    names = NAMES + [
        "Ærø",
        "Straße",
        "Strasse",
        "Müller",
        "Mueller",
        "Ñandú",
        "#1 Pizza",
        "1 Pizza",
    ]
    names += ["(Chez) Paul", "Chez Paul", "Å", "Ä", "Café-Tabac", "Café Tabac", "l'Épicerie"]
    url = postgres_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            'SELECT name FROM unnest(%s::text[]) AS name ORDER BY name COLLATE "und-x-icu"',
            (names,),
        )
        icu = [name for (name,) in rows]
    assert sorted(names, key=sort_key) == icu


def test_dictionary_order_in_sql(any_db_app) -> None:
    for name in shuffled(NAMES):
        db.session.add(District(name=name))
    db.session.commit()

    query = select(District.name).order_by(dictionary_order(District.name).desc())

    assert list(db.session.scalars(query)) == NAMES[::-1]


def test_the_admin_list_of_accounts(any_db_app) -> None:
    for name in shuffled(NAMES):
        factories.make_user(display_name=name)
    db.session.commit()

    assert [user.display_name for user in db.paginate(search_users(), per_page=5).items] == (
        NAMES[:5]
    )
    everyone = db.session.scalars(search_users(UserSearch(role=Role.RESIDENT))).all()
    assert [user.display_name for user in everyone] == NAMES


def test_the_people_who_appear_in_the_audit_log(any_db_app) -> None:
    for name in shuffled(NAMES):
        audit.record(factories.make_user(display_name=name), "user.deactivated", audit.USER, 1)
    db.session.commit()

    assert [person.display_name for person in audit.actors()] == NAMES


def test_the_shops_directory_and_the_staff_list_of_shops(any_db_app) -> None:
    for name in shuffled(NAMES):
        factories.make_shop(name=name)
    db.session.commit()

    directory = db.paginate(shops.directory(), per_page=5, page=2).items
    staff = db.session.scalars(shop_management.staff_shops(shop_management.ShopFilter())).all()

    assert [shop.name for shop in directory] == NAMES[5:10]
    assert [shop.name for shop in staff] == NAMES


def test_districts_everywhere_they_are_listed(any_db_app) -> None:
    for name in shuffled(NAMES):
        factories.make_district(name)
    db.session.commit()

    assert [district.name for district in visibility.districts()] == NAMES
    assert [district.name for district in premises_management.districts()] == NAMES


def test_the_shops_to_contact_by_district_then_name(any_db_app) -> None:
    for district_name in ("Villette", "Amérique", "belleville"):
        district = factories.make_district(district_name)
        for name in ("Zoé", "Éric", "alice"):
            factories.make_shop(name=f"{name} {district_name}", district=district)
    db.session.commit()

    rows = db.session.scalars(
        visibility.shops_to_contact(visibility.VisibilityFilter(level=None))
    ).all()

    assert [shop.name for shop in rows] == [
        f"{name} {district}"
        for district in ("Amérique", "belleville", "Villette")
        for name in ("alice", "Éric", "Zoé")
    ]


def test_the_staff_list_of_premises_by_address_and_by_district(any_db_app) -> None:
    addresses = ["allée des Lilas", "Avenue Jean Jaurès", "Église (place de l')", "rue Piat"]
    districts = ["Amérique", "belleville", "Combat", "Villette"]
    for address, district in zip(shuffled(addresses), shuffled(districts), strict=True):
        factories.make_premises(address=address, district=factories.make_district(district))
    db.session.commit()

    def listed(sort: StaffSort) -> list:
        premises = db.session.scalars(premises_management.staff_premises(StaffFilter(sort=sort)))
        return [(item.address, item.district.name) for item in premises]

    assert [address for address, _ in listed(StaffSort.ADDRESS)] == addresses
    assert [district for _, district in listed(StaffSort.DISTRICT)] == districts


def test_a_landlords_premises(any_db_app) -> None:
    landlord = factories.make_user(role=Role.LANDLORD)
    addresses = ["avenue Simon Bolivar", "Boulevard de la Villette", "église (place de l')"]
    for address in shuffled(addresses):
        factories.make_premises(address=address, landlord=landlord)
    db.session.commit()

    assert [premises.address for premises in landlord_premises(landlord)] == addresses


def test_the_district_statistics(any_db_app) -> None:
    for name in ("Villette", "Amérique", "belleville"):
        factories.make_premises(district=factories.make_district(name))
    db.session.commit()

    names = [item.name for item in stats.town_stats().by_district]
    assert names == ["Amérique", "belleville", "Villette"]


def test_the_district_choices_of_the_premises_filters(client) -> None:
    for name in ("Villette", "Amérique", "belleville"):
        factories.make_district(name)
    db.session.commit()

    page = client.get("/premises").get_data(as_text=True)

    assert page.index("Amérique") < page.index("belleville") < page.index("Villette")


def test_accounts_page_lists_aicha_before_antoine(client, login_as) -> None:
    login_as(Role.ADMIN, display_name="Zed Admin")
    for name in ("Antoine", "Aïcha", "zoé", "Élodie"):
        factories.make_user(display_name=name)
    db.session.commit()

    page = client.get("/admin/users").get_data(as_text=True)

    positions = [page.index(f">{name}<") for name in ("Aïcha", "Antoine", "Élodie", "zoé")]
    assert positions == sorted(positions)
    assert db.session.scalar(select(User.id).where(User.display_name == "Aïcha"))


def test_the_quick_tables_give_the_same_keys_as_spelling_each_letter() -> None:
    letters = [chr(code) for code in range(0x20, 0x370)] + ["\u200b", "\u00ad"]
    pick = random.Random(7)
    for _ in range(3000):
        text = "".join(pick.choice(letters) for _ in range(pick.randint(0, 12)))
        assert sort_key(text) == _LEVEL.join(_spelled_key(text)), repr(text)
