"""Premises management rules: create, edit, withdraw, reopen, mark as let, each audited."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from wishboard.extensions import db
from wishboard.models import AuditEvent, Premises, PremisesStatus, Role, utcnow
from wishboard.services import audit
from wishboard.services.premises import management
from wishboard.services.premises.management import (
    PremisesError,
    PremisesValues,
    StaffFilter,
    StaffSort,
)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def moderator(app):
    user = factories.make_user(role=Role.MODERATOR)
    factories.make_district("Belleville")
    factories.make_district("Jourdain")
    db.session.commit()
    return user


def values(**overrides) -> PremisesValues:
    base = PremisesValues(
        address="12 rue de Belleville",
        city="Paris",
        district="Belleville",
        latitude=48.8722,
        longitude=2.381,
        reference="BEL-001",
        postcode="75019",
        surface_m2=45,
        landlord_name="Marie Dupont",
        landlord_email="marie@example.org",
        notes="Ancienne mercerie",
    )
    return replace(base, **overrides)


def events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def count_premises() -> int:
    return db.session.scalar(select(func.count(Premises.id)))


# Creating


def test_create_makes_a_vacant_premises_and_records_it(moderator):
    premises = management.create_premises(moderator, values())
    db.session.commit()

    assert premises.status is PremisesStatus.VACANT
    assert (premises.address, premises.district.name, premises.surface_m2) == (
        "12 rue de Belleville",
        "Belleville",
        45,
    )
    [event] = events()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "premises.created",
        moderator.id,
        audit.PREMISES,
        premises.id,
    )
    assert event.before is None
    assert event.after["district"] == "Belleville"
    assert event.after["reference"] == "BEL-001"
    assert "landlord_id" not in event.after  # no landlord account uses that address


def test_create_cleans_what_was_typed(moderator):
    premises = management.create_premises(
        moderator,
        values(
            address="  12 rue de Belleville ",
            district="belleville",
            reference="",
            postcode=" ",
            landlord_email=" Marie@Example.ORG ",
            latitude=48.872212345,
            longitude=2.381098765,
        ),
    )

    assert premises.address == "12 rue de Belleville"
    assert premises.district.name == "Belleville"
    assert premises.reference is None and premises.postcode is None
    assert premises.landlord_email == "marie@example.org"
    assert (premises.latitude, premises.longitude) == (48.872212, 2.381099)


def test_a_landlord_account_with_the_address_is_linked(moderator):
    landlord = factories.make_user(role=Role.LANDLORD, email="marie@example.org")
    factories.make_user(role=Role.RESIDENT, email="resident@example.org")

    linked = management.create_premises(moderator, values(landlord_email="MARIE@example.org"))
    unlinked = management.create_premises(
        moderator, values(reference="BEL-002", landlord_email="resident@example.org")
    )

    assert linked.landlord_id == landlord.id
    assert unlinked.landlord_id is None  # a resident's address is only a contact
    assert unlinked.landlord_email == "resident@example.org"


def test_create_refuses_a_position_outside_the_town(moderator):
    with pytest.raises(PremisesError) as caught:
        management.create_premises(moderator, values(latitude=45.764, longitude=4.8357))

    assert [problem.field for problem in caught.value.problems] == ["latitude", "longitude"]
    assert "outside the town" in caught.value.message
    assert count_premises() == 0 and events() == []


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"district": "Atlantide"}, "district", "no district called “Atlantide”"),
        ({"district": ""}, "district", "Choose a district"),
        ({"address": "  "}, "address", "Enter the address"),
        ({"city": ""}, "city", "Enter the town"),
        ({"landlord_email": "not-an-address"}, "landlord_email", "valid e-mail address"),
        ({"surface_m2": 0}, "surface_m2", "whole number"),
        ({"latitude": float("nan")}, "latitude", "decimal number"),
        ({"address": "x" * 201}, "address", "at most 200"),
        ({"notes": "bad\x00text"}, "notes", "control characters"),
    ],
)
def test_create_refuses_bad_input(moderator, overrides, field, words):
    with pytest.raises(PremisesError) as caught:
        management.create_premises(moderator, values(**overrides))

    assert caught.value.field == field
    assert words in caught.value.message
    assert count_premises() == 0 and events() == []


def test_create_reports_every_problem_at_once(moderator):
    with pytest.raises(PremisesError) as caught:
        management.create_premises(
            moderator, values(address="", district="Atlantide", landlord_email="nope")
        )

    fields = {problem.field for problem in caught.value.problems}
    assert fields == {"address", "district", "landlord_email"}


def test_two_premises_cannot_share_a_reference(moderator):
    management.create_premises(moderator, values())
    db.session.commit()

    with pytest.raises(PremisesError) as caught:
        management.create_premises(moderator, values(address="Ailleurs"))

    assert caught.value.field == "reference"
    assert "BEL-001" in caught.value.message
    assert count_premises() == 1


# Editing


def test_update_audits_only_the_changed_fields(moderator):
    premises = management.create_premises(moderator, values())
    db.session.commit()

    management.update_premises(
        moderator, premises, values(surface_m2=50, district="Jourdain", notes=None)
    )
    db.session.commit()

    event = events("premises.updated")[0]
    assert event.object_id == premises.id
    assert event.before == {
        "district": "Belleville",
        "surface_m2": 45,
        "notes": "Ancienne mercerie",
    }
    assert event.after == {"district": "Jourdain", "surface_m2": 50, "notes": None}
    assert premises.district.name == "Jourdain"


def test_update_with_the_same_values_writes_nothing(moderator):
    premises = management.create_premises(moderator, values())
    db.session.commit()
    updated_at = premises.updated_at

    management.update_premises(moderator, premises, values(address=" 12 rue de Belleville "))
    db.session.commit()

    assert events("premises.updated") == []
    assert premises.updated_at == updated_at


def test_update_follows_the_landlord_address(moderator):
    landlord = factories.make_user(role=Role.LANDLORD, email="owner@example.org")
    premises = management.create_premises(moderator, values())
    db.session.commit()

    management.update_premises(moderator, premises, values(landlord_email="owner@example.org"))
    assert premises.landlord_id == landlord.id
    management.update_premises(moderator, premises, values(landlord_email=None))
    assert premises.landlord_id is None

    changes = [event.after for event in events("premises.updated")]
    assert changes[0] == {"landlord_id": landlord.id, "landlord_email": "owner@example.org"}
    assert changes[1] == {"landlord_id": None, "landlord_email": None}


def test_update_refuses_another_premises_reference(moderator):
    management.create_premises(moderator, values())
    other = management.create_premises(moderator, values(reference="BEL-002"))
    db.session.commit()

    with pytest.raises(PremisesError) as caught:
        management.update_premises(moderator, other, values(reference="BEL-001"))

    assert caught.value.field == "reference"
    db.session.rollback()
    assert other.reference == "BEL-002"
    # Keeping its own reference is no conflict.
    management.update_premises(moderator, other, values(reference="BEL-002", surface_m2=12))


# Status


def test_withdraw_then_reopen(moderator):
    premises = factories.make_premises()

    management.withdraw_premises(moderator, premises)
    assert premises.status is PremisesStatus.WITHDRAWN
    management.reopen_premises(moderator, premises)
    assert premises.status is PremisesStatus.VACANT
    db.session.commit()

    withdrawn, reopened = events()
    assert (withdrawn.action, withdrawn.before, withdrawn.after) == (
        "premises.withdrawn",
        {"status": "vacant"},
        {"status": "withdrawn"},
    )
    assert (reopened.action, reopened.after) == ("premises.reopened", {"status": "vacant"})


def test_withdrawing_twice_or_reopening_a_vacant_premises_is_refused(moderator):
    premises = factories.make_premises()

    with pytest.raises(PremisesError, match="already vacant"):
        management.reopen_premises(moderator, premises)
    management.withdraw_premises(moderator, premises)
    with pytest.raises(PremisesError, match="already withdrawn"):
        management.withdraw_premises(moderator, premises)

    assert [event.action for event in events()] == ["premises.withdrawn"]


def test_mark_let_records_the_shop_type_and_date(moderator):
    premises = factories.make_premises()
    bakery = factories.shop_type("shop=bakery")

    management.mark_let(moderator, premises, bakery, date(2024, 3, 1))
    db.session.commit()

    assert premises.status is PremisesStatus.LET
    assert (premises.let_shop_type, premises.let_on) == (bakery, date(2024, 3, 1))
    [event] = events()
    assert event.action == "premises.let"
    assert event.before == {"status": "vacant", "let_on": None, "let_shop_type": None}
    assert event.after == {"status": "let", "let_on": "2024-03-01", "let_shop_type": "shop=bakery"}


def test_a_let_premises_can_be_corrected_and_reopened(moderator):
    premises = factories.make_premises()
    management.mark_let(moderator, premises, factories.shop_type("shop=bakery"), date(2024, 3, 1))
    management.mark_let(moderator, premises, factories.shop_type("shop=books"), date(2024, 3, 1))
    # The same again changes nothing and records nothing.
    management.mark_let(moderator, premises, factories.shop_type("shop=books"), date(2024, 3, 1))

    management.reopen_premises(moderator, premises)
    db.session.commit()

    assert premises.status is PremisesStatus.VACANT
    assert (premises.let_shop_type_id, premises.let_on) == (None, None)
    correction, reopened = events()[1:]
    assert correction.after == {"let_shop_type": "shop=books"}
    assert reopened.before == {
        "status": "let",
        "let_on": "2024-03-01",
        "let_shop_type": "shop=books",
    }


def test_mark_let_refuses_what_makes_no_sense(moderator):
    premises = factories.make_premises(status=PremisesStatus.WITHDRAWN)
    retired = factories.shop_type("shop=cheese")
    retired.active = False
    tomorrow_and_one = utcnow().date() + timedelta(days=2)

    with pytest.raises(PremisesError) as caught:
        management.mark_let(moderator, premises, retired, tomorrow_and_one)

    fields = [problem.field for problem in caught.value.problems]
    assert fields == [None, "shop_type", "let_on"]
    assert "withdrawn" in caught.value.problems[0].message
    assert premises.status is PremisesStatus.WITHDRAWN
    assert events() == []


def test_mark_let_needs_a_date(moderator):
    premises = factories.make_premises()

    with pytest.raises(PremisesError) as caught:
        management.mark_let(moderator, premises, factories.shop_type(), None)

    assert caught.value.field == "let_on"


# The staff list


def test_staff_list_searches_filters_and_sorts(moderator):
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")
    a = factories.make_premises(address="2 rue Piat", reference="REF-100%", district=belleville)
    b = factories.make_premises(
        address="1 rue Ramponeau",
        district=jourdain,
        status=PremisesStatus.WITHDRAWN,
        reference=None,
    )
    c = factories.make_premises(
        address="3 rue Piat", postcode="75020", district=jourdain, reference="ZZ-1"
    )

    def found(**filters) -> list[Premises]:
        return list(db.session.scalars(management.staff_premises(StaffFilter(**filters))))

    assert found() == [b, a, c]  # by address, every status
    assert found(text="PIAT") == [a, c]
    assert found(text="100%") == [a]  # % is a character, not a wildcard
    assert found(text="75020") == [c]
    assert found(status=PremisesStatus.WITHDRAWN) == [b]
    assert found(district_id=jourdain.id, sort=StaffSort.ADDRESS) == [b, c]
    assert found(sort=StaffSort.REFERENCE) == [a, c, b]  # those without a reference last
    assert found(sort=StaffSort.DISTRICT) == [a, b, c]
