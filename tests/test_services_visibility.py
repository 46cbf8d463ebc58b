"""Shops' online visibility: the level, the shops to contact by district, contacts, the CSV rows."""

import csv
import io
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from wishboard.data.demo import load_demo_town
from wishboard.extensions import db
from wishboard.models import AuditEvent, ContactOutcome, Presence, Role, Shop, ShopContact, utcnow
from wishboard.services.csv_export import csv_bytes
from wishboard.services.shops import visibility
from wishboard.services.shops.visibility import (
    ContactError,
    Level,
    VisibilityFilter,
    level_expression,
    level_of,
    visibility_level,
)
from wishboard.settings import settings

YES, NO, UNKNOWN = Presence.YES, Presence.NO, Presence.UNKNOWN


def _shop(site=NO, social=NO, listed=NO, **overrides) -> Shop:
    """A shop with these presences (website, social account, map service)."""
    return factories.make_shop(
        has_website=site, has_social=social, on_map_service=listed, **overrides
    )


@pytest.mark.parametrize(
    ("presences", "expected"),
    [
        ((NO, NO, NO), Level.NONE),
        ((UNKNOWN, NO, NO), Level.UNKNOWN),
        ((UNKNOWN, UNKNOWN, UNKNOWN), Level.UNKNOWN),
        ((YES, NO, NO), Level.LOW),
        ((NO, UNKNOWN, YES), Level.LOW),
        ((YES, YES, NO), Level.GOOD),
        ((YES, UNKNOWN, YES), Level.GOOD),
        ((YES, YES, YES), Level.GOOD),
    ],
)
def test_the_level_follows_the_scale(presences, expected):
    assert level_of(*presences) is expected


def test_an_address_on_record_counts_as_a_presence(app):
    assert visibility_level(_shop()) is Level.NONE
    assert visibility_level(_shop(site=NO, website="https://a.example.org")) is Level.LOW
    both = _shop(site=UNKNOWN, website="https://b.example.org", social_url="https://s.example")
    assert visibility_level(both) is Level.GOOD
    # Blank text is no address.
    assert visibility_level(_shop(website="  ", social_url="")) is Level.NONE


def test_the_database_computes_the_same_level_as_python_for_every_combination(app):
    shops = []
    for site, social, listed, site_url, social_url in itertools.product(
        Presence,
        Presence,
        Presence,
        (None, "", "https://w.example.org"),
        (None, "https://s.example"),
    ):
        shops.append(_shop(site, social, listed, website=site_url, social_url=social_url))
    db.session.commit()
    in_sql = dict(db.session.execute(select(Shop.id, level_expression())).all())
    assert len(in_sql) == len(shops) == 162
    assert {shop.id: visibility_level(shop).value for shop in shops} == in_sql
    assert set(in_sql.values()) == {level.value for level in Level}


def test_the_shops_to_contact_are_those_with_no_presence_by_district_then_name(app):
    jourdain = factories.make_district("Jourdain")
    belleville = factories.make_district("Belleville")
    _shop(name="Zinc", district=belleville)
    _shop(name="atelier", district=belleville)
    _shop(name="Boulangerie", district=jourdain)
    _shop(name="Nowhere", district=None)
    _shop(name="Visible", district=belleville, site=YES)
    _shop(name="Unchecked", district=belleville, listed=UNKNOWN)
    db.session.commit()

    names = [s.name for s in db.session.scalars(visibility.shops_to_contact(VisibilityFilter()))]
    assert names == ["atelier", "Zinc", "Boulangerie", "Nowhere"]

    in_belleville = VisibilityFilter(district_id=belleville.id)
    names = [s.name for s in db.session.scalars(visibility.shops_to_contact(in_belleville))]
    assert names == ["atelier", "Zinc"]

    nowhere = VisibilityFilter(district_id=visibility.NO_DISTRICT)
    assert [s.name for s in db.session.scalars(visibility.shops_to_contact(nowhere))] == ["Nowhere"]
    unknown = VisibilityFilter(level=Level.UNKNOWN)
    assert [s.name for s in db.session.scalars(visibility.shops_to_contact(unknown))] == [
        "Unchecked"
    ]
    every = VisibilityFilter(level=None)
    assert len(db.session.scalars(visibility.shops_to_contact(every)).all()) == 6


def test_levels_are_counted_per_district(app):
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")
    _shop(district=belleville)
    _shop(district=belleville)
    _shop(district=belleville, site=YES, social=YES)
    _shop(district=jourdain, site=YES)
    _shop(district=None, listed=UNKNOWN)
    db.session.commit()

    summary = visibility.levels_by_district()
    assert [(row.district_name, row.total) for row in summary] == [
        ("Belleville", 3),
        ("Jourdain", 1),
        (None, 1),
    ]
    assert summary[0].counts == {Level.NONE: 2, Level.LOW: 0, Level.GOOD: 1, Level.UNKNOWN: 0}
    assert summary[1].counts[Level.LOW] == 1
    assert summary[2].counts[Level.UNKNOWN] == 1


def test_a_contact_is_recorded_and_audited(app):
    staff = factories.make_user(role=Role.MODERATOR)
    shop = _shop()
    contact = visibility.record_contact(
        staff, shop, date(2025, 3, 4), ContactOutcome.INTERESTED, "  Call back in April  "
    )
    db.session.commit()
    assert (contact.shop_id, contact.staff_id, contact.note) == (
        shop.id,
        staff.id,
        "Call back in April",
    )
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.object_type, event.object_id, event.actor_id) == (
        "shop.contacted",
        "shop",
        shop.id,
        staff.id,
    )
    assert event.after == {
        "contacted_on": "2025-03-04",
        "outcome": "interested",
        "note": "Call back in April",
    }


def test_a_contact_in_the_future_or_with_a_long_note_is_refused(app):
    shop = _shop()
    tomorrow = utcnow().date() + timedelta(days=1)
    with pytest.raises(ContactError) as refused:
        visibility.record_contact(None, shop, tomorrow, ContactOutcome.HELPED)
    assert refused.value.field == "contacted_on"
    with pytest.raises(ContactError) as refused:
        visibility.record_contact(
            None,
            shop,
            utcnow().date(),
            ContactOutcome.HELPED,
            "x" * (visibility.NOTE_MAX_LENGTH + 1),
        )
    assert refused.value.field == "note"
    assert db.session.scalars(select(ShopContact)).all() == []


def test_the_last_contact_is_the_latest_day_then_the_latest_entry(app, count_queries):
    first, second, never = _shop(), _shop(), _shop()
    record = visibility.record_contact
    record(None, first, date(2025, 5, 1), ContactOutcome.NO_ANSWER)
    record(None, first, date(2025, 4, 1), ContactOutcome.HELPED)  # entered later, older day
    record(None, second, date(2025, 5, 1), ContactOutcome.NO_ANSWER)
    latest = record(None, second, date(2025, 5, 1), ContactOutcome.NOT_INTERESTED)
    db.session.commit()

    ids = [first.id, second.id, never.id]
    with count_queries() as queries:
        found = visibility.last_contacts(ids)
    assert queries.count == 1
    assert found[first.id].outcome is ContactOutcome.NO_ANSWER
    assert found[second.id].id == latest.id
    assert never.id not in found
    assert visibility.last_contacts([]) == {}


def test_the_csv_rows_carry_presence_level_and_last_contact(app):
    district = factories.make_district("Belleville")
    shop = _shop(name='=HYPERLINK("http://evil")', district=district, phone="01 42 00 00 00")
    _shop(name="Visible", site=YES, social=YES)
    visibility.record_contact(None, shop, date(2025, 2, 3), ContactOutcome.NO_ANSWER, "Closed")
    db.session.commit()

    rows = visibility.csv_rows(VisibilityFilter())
    assert len(rows) == 1
    row = dict(zip(visibility.CSV_HEADER, rows[0], strict=True))
    assert row["district"] == "Belleville"
    assert row["has_website"] == "no" and row["visibility_level"] == "none"
    assert (row["last_contacted_on"], row["last_contact_outcome"], row["last_contact_note"]) == (
        "2025-02-03",
        "no_answer",
        "Closed",
    )
    written = list(csv.reader(io.StringIO(csv_bytes(visibility.CSV_HEADER, rows).decode())))
    assert written[0] == list(visibility.CSV_HEADER)
    assert written[1][2].startswith("'=")  # a spreadsheet shows it, never runs it


def test_the_demo_town_has_shops_at_every_level_in_each_district(app):
    load_demo_town(settings())
    summary = visibility.levels_by_district()
    assert all(row.district_name is not None for row in summary)
    assert all(row.counts[Level.NONE] > 0 for row in summary)  # something to do everywhere
    totals = {level: sum(row.counts[level] for row in summary) for level in Level}
    assert all(count > 0 for count in totals.values())
    first = visibility.levels_by_district()
    load_demo_town(settings())  # loading it again gives the same presences
    assert visibility.levels_by_district() == first
