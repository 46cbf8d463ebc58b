"""Shop management for staff: editing a shop (audited, checked) and handling corrections."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from tests import factories
from wishboard.config import Config
from wishboard.extensions import db
from wishboard.models import AuditEvent, CorrectionStatus, Presence, Role
from wishboard.services.shops import management
from wishboard.services.shops.management import CorrectionError, ShopError, ShopValues

BOUNDS = Config().WISHBOARD_MAP_BOUNDS  # the town the app under test covers


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.org", "https://example.org"),
        ("  www.example.org/shop ", "https://www.example.org/shop"),
        ("example.org:8080/x", "https://example.org:8080/x"),
        ("http://example.org", "http://example.org"),
        ("HTTPS://Example.org/a?b=c", "https://Example.org/a?b=c"),
        ("", None),
        (None, None),
    ],
)
def test_a_web_address_gets_a_scheme_when_it_has_none(typed, stored):
    assert management.web_address(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "mailto:a@example.org",
        "ftp://example.org",
        "https://",
        "https://a b.org",
    ],
)
def test_other_schemes_and_broken_addresses_are_refused(typed):
    with pytest.raises(ValueError):
        management.web_address(typed)


def test_an_edit_changes_the_shop_and_records_what_changed(app):
    staff = factories.make_user(role=Role.MODERATOR)
    belleville = factories.make_district("Belleville")
    shop = factories.make_shop(name="Boulangerie Dupont")
    values = replace(
        ShopValues.of(shop),
        name="  Boulangerie Dupont et fils ",
        district_id=belleville.id,
        shop_type=factories.shop_type("shop=pastry"),
        website="dupont.example.org",
        has_social=Presence.NO,
        on_map_service=Presence.YES,
    )
    changes = management.update_shop(staff, shop, values, BOUNDS)
    db.session.commit()

    assert shop.name == "Boulangerie Dupont et fils"
    assert shop.website == "https://dupont.example.org"
    assert shop.district_id == belleville.id
    assert (shop.has_social, shop.on_map_service) == (Presence.NO, Presence.YES)
    assert set(changes) == {
        "name",
        "shop_type_id",
        "district_id",
        "website",
        "has_social",
        "on_map_service",
    }
    (event,) = _events("shop.updated")
    assert (event.object_type, event.object_id, event.actor_id) == ("shop", shop.id, staff.id)
    assert event.before == {
        "name": "Boulangerie Dupont",
        "shop_type": "shop=bakery",
        "district": None,
        "website": None,
        "has_social": "unknown",
        "on_map_service": "unknown",
    }
    assert event.after["district"] == "Belleville"
    assert event.after["shop_type"] == "shop=pastry"
    assert event.after["website"] == "https://dupont.example.org"


def test_an_edit_that_changes_nothing_records_nothing(app):
    shop = factories.make_shop(website="https://a.example.org")
    assert management.update_shop(None, shop, ShopValues.of(shop), BOUNDS) == {}
    assert _events("shop.updated") == []


def test_an_edit_breaking_rules_reports_every_problem_and_changes_nothing(app):
    shop = factories.make_shop(name="Chez Lou")
    south, west, north, east = app.config["WISHBOARD_MAP_BOUNDS"]
    values = replace(
        ShopValues.of(shop),
        name=" ",
        shop_type=None,
        email="not an address",
        website="javascript:alert(1)",
        social_url="x" * 501,
        latitude=north + 1,
        district_id=10**6,
    )
    with pytest.raises(ShopError) as refused:
        management.update_shop(None, shop, values, BOUNDS)
    fields = {problem.field for problem in refused.value.problems}
    assert fields == {
        "name",
        "shop_type",
        "email",
        "website",
        "social_url",
        "latitude",
        "district",
    }
    assert shop.name == "Chez Lou"
    assert _events("shop.updated") == []


def test_a_deactivated_type_stays_available_to_its_own_shop(app):
    old_type = factories.make_shop_type(active=False)
    shop = factories.make_shop(shop_type=old_type)
    assert old_type in management.shop_types_for(shop)
    assert old_type not in management.shop_types_for(None)


def test_staff_search_shops_by_text_district_and_level(app):
    belleville = factories.make_district("Belleville")
    factories.make_shop(name="Librairie 100%", district=belleville)
    factories.make_shop(name="Fromagerie", reference="osm:node/7", has_website=Presence.YES)
    factories.make_shop(name="Café", address="2 rue des Libraires")

    def names(**filters) -> list[str]:
        query = management.staff_shops(management.ShopFilter(**filters))
        return [shop.name for shop in db.session.scalars(query)]

    assert names(text="LIBRAIR") == ["Café", "Librairie 100%"]
    assert names(text="100%") == ["Librairie 100%"]
    assert names(text="_") == []  # LIKE wildcards are plain characters
    assert names(text="node/7") == ["Fromagerie"]
    assert names(district_id=belleville.id) == ["Librairie 100%"]
    assert names(level="low") == ["Fromagerie"]


def test_a_correction_is_handled_once(app):
    first, second = factories.make_user(role=Role.MODERATOR), factories.make_user(role=Role.ADMIN)
    correction = factories.make_correction()
    factories.make_correction()
    db.session.commit()
    assert management.open_correction_count() == 2

    management.handle_correction(first, correction, CorrectionStatus.DONE)
    db.session.commit()
    assert correction.status is CorrectionStatus.DONE
    assert correction.handled_by_id == first.id and correction.handled_at is not None
    assert management.open_correction_count() == 1
    (event,) = _events("shop.correction_done")
    assert (event.object_id, event.after) == (
        correction.shop_id,
        {"correction_id": correction.id, "status": "done"},
    )

    with pytest.raises(CorrectionError):
        management.handle_correction(second, correction, CorrectionStatus.DISMISSED)
    db.session.rollback()
    assert correction.status is CorrectionStatus.DONE
    assert correction.handled_by_id == first.id
    assert _events("shop.correction_dismissed") == []


def test_open_corrections_come_oldest_first_with_their_shop(app, count_queries):
    shops = [factories.make_shop(name=f"Shop {n}") for n in range(3)]
    for shop in shops:
        factories.make_correction(shop)
    factories.make_correction(status=CorrectionStatus.DISMISSED)
    db.session.commit()
    with count_queries() as queries:
        page = management.open_corrections(1, 10)
        names = [correction.shop.name for correction in page.items]
        types = [correction.shop.shop_type.code for correction in page.items]
    assert names == ["Shop 0", "Shop 1", "Shop 2"]
    assert types == ["shop=bakery"] * 3
    assert queries.count == 2  # the page and its count
