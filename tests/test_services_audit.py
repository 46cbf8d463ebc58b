"""Reading the audit log: filters, pages, what each event is about, and the CSV rows."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel import force_locale

from tests import factories
from wishboard.extensions import db
from wishboard.models import AuditEvent, Role, User
from wishboard.services import audit
from wishboard.services.audit import AuditFilter
from wishboard.services.csv_export import csv_bytes


@pytest.fixture(autouse=True)
def english(app: Flask) -> Iterator[None]:
    with force_locale("en"):
        yield


def event(actor: User | None, action: str, when: datetime, **values) -> AuditEvent:
    """An event recorded at `when` (committed)."""
    object_type = values.pop("object_type", audit.USER)
    recorded = audit.record(actor, action, object_type, values.pop("object_id", None), **values)
    recorded.created_at = when
    db.session.commit()
    return recorded


@pytest.fixture
def log(app: Flask) -> dict:
    """Two staff members and five events over three days, one of them automatic."""
    moderator = factories.make_user(role=Role.MODERATOR, display_name="Mona")
    admin = factories.make_user(role=Role.ADMIN, display_name="Adam")
    premises = factories.make_premises(address="5 rue des Lilas")
    return {
        "moderator": moderator,
        "admin": admin,
        "premises": premises,
        "events": [
            event(
                moderator,
                "wish.published",
                datetime(2025, 3, 1, 9, 0),
                object_type=audit.WISH,
                object_id=1,
            ),
            event(
                moderator,
                "premises.updated",
                datetime(2025, 3, 1, 23, 59, 59),
                object_type=audit.PREMISES,
                object_id=premises.id,
                before={"notes": None},
                after={"notes": "Vitrine refaite"},
            ),
            event(admin, "user.role_changed", datetime(2025, 3, 2, 0, 0), object_id=moderator.id),
            event(
                None,
                "wish.auto_hidden",
                datetime(2025, 3, 2, 12, 0),
                object_type=audit.WISH,
                object_id=1,
            ),
            event(admin, "user.deactivated", datetime(2025, 3, 3, 8, 0), object_id=moderator.id),
        ],
    }


def actions_of(selected: AuditFilter) -> list[str]:
    return [e.action for e in audit.events(selected, 1, 50).items]


def test_events_come_newest_first(log):
    assert actions_of(AuditFilter()) == [
        "user.deactivated",
        "wish.auto_hidden",
        "user.role_changed",
        "premises.updated",
        "wish.published",
    ]


def test_filter_by_actor_or_automatic(log):
    assert actions_of(AuditFilter(actor_id=log["moderator"].id)) == [
        "premises.updated",
        "wish.published",
    ]
    assert actions_of(AuditFilter(automatic=True)) == ["wish.auto_hidden"]


def test_filter_by_action(log):
    assert actions_of(AuditFilter(action="user.role_changed")) == ["user.role_changed"]
    assert actions_of(AuditFilter(action="shop_type.merged")) == []


def test_filter_by_days_includes_both_ends(log):
    first_day = AuditFilter(date_from=date(2025, 3, 1), date_to=date(2025, 3, 1))
    assert actions_of(first_day) == ["premises.updated", "wish.published"]
    assert actions_of(AuditFilter(date_from=date(2025, 3, 2))) == [
        "user.deactivated",
        "wish.auto_hidden",
        "user.role_changed",
    ]
    assert actions_of(AuditFilter(date_to=date(2025, 2, 28))) == []


def test_days_are_the_site_time_zones_days(log):
    # 1 March 23:59:59 UTC is already 2 March in Paris (UTC+1 in winter); 3 March 08:00 UTC is
    # still 3 March there.
    paris = AuditFilter(
        date_from=date(2025, 3, 2), date_to=date(2025, 3, 2), timezone="Europe/Paris"
    )
    assert actions_of(paris) == ["wish.auto_hidden", "user.role_changed", "premises.updated"]
    # The zone says what a day is, not which events: it narrows nothing by itself.
    assert not AuditFilter(timezone="Europe/Paris").narrows


def test_filters_combine(log):
    selected = AuditFilter(actor_id=log["admin"].id, date_from=date(2025, 3, 3))
    assert actions_of(selected) == ["user.deactivated"]
    about = AuditFilter(object_type=audit.USER, object_id=log["moderator"].id)
    assert actions_of(about) == ["user.deactivated", "user.role_changed"]
    assert selected.narrows and not AuditFilter().narrows


def test_pages(log):
    first, second = audit.events(AuditFilter(), 1, 3), audit.events(AuditFilter(), 2, 3)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (5, 2, 3, 2)


def test_actors_and_actions_for_the_filters(log):
    factories.make_user(display_name="Never acted")
    db.session.commit()

    assert [person.display_name for person in audit.actors()] == ["Adam", "Mona"]
    assert set(audit.ACTIONS) <= set(audit.actions())
    event(None, "something.new", datetime(2025, 3, 4))
    assert "something.new" in audit.actions()


def test_objects_of_names_what_still_exists(log, count_queries):
    wish = factories.make_wish(log["premises"], shop_type=factories.shop_type("shop=cheese"))
    event(None, "wish.hidden", datetime(2025, 3, 4), object_type=audit.WISH, object_id=wish.id)
    event(None, "premises.updated", datetime(2025, 3, 4), object_type="premises", object_id=999)
    events = audit.events(AuditFilter(), 1, 50).items

    with count_queries() as queries:
        objects = audit.objects_of(events)

    assert queries.count == 3  # premises, users, wishes: one query each
    assert objects[(audit.PREMISES, log["premises"].id)] == audit.ObjectRef(
        "5 rue des Lilas", premises_id=log["premises"].id
    )
    assert objects[(audit.USER, log["moderator"].id)].name == "Mona"
    assert objects[(audit.WISH, wish.id)] == audit.ObjectRef(
        "shop=cheese", premises_id=log["premises"].id
    )
    assert (audit.PREMISES, 999) not in objects


def test_csv_rows_follow_the_header_and_the_filters(log):
    rows = audit.event_rows(AuditFilter(date_from=date(2025, 3, 1), date_to=date(2025, 3, 2)))

    assert [row[4] for row in rows] == [
        "wish.auto_hidden",
        "user.role_changed",
        "premises.updated",
        "wish.published",
    ]
    automatic, _, updated, _ = rows
    assert dict(zip(audit.CSV_HEADER, automatic, strict=True))["actor"] == "automatic"
    assert automatic[2] is None
    row = dict(zip(audit.CSV_HEADER, updated, strict=True))
    assert row["created_at_utc"] == "2025-03-01T23:59:59+00:00"  # unambiguous on its own
    assert (row["actor_id"], row["actor"]) == (log["moderator"].id, "Mona")
    assert (row["object_type"], row["object_id"]) == ("premises", log["premises"].id)
    assert json.loads(row["before"]) == {"notes": None}
    assert json.loads(row["after"]) == {"notes": "Vitrine refaite"}


def test_csv_neutralises_cells_that_look_like_formulas(app):
    attacker = factories.make_user(role=Role.MODERATOR, display_name='=HYPERLINK("http://x")')
    event(
        attacker,
        "premises.updated",
        datetime(2025, 3, 1),
        object_type=audit.PREMISES,
        object_id=1,
        after={"notes": "=1+1"},
    )

    body = csv_bytes(audit.CSV_HEADER, audit.event_rows(AuditFilter()))

    [header, row] = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert header == list(audit.CSV_HEADER)
    assert row[3] == '\'=HYPERLINK("http://x")'
    # The JSON cell starts with "{": a spreadsheet reads it as text.
    assert json.loads(row[8]) == {"notes": "=1+1"}


def test_an_event_without_actor_is_automatic_or_by_a_deleted_account(app) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="x")
    db.session.commit()
    hidden = audit.record(None, "wish.auto_hidden", audit.WISH, wish.id)
    gone = audit.record(None, "wish.published", audit.WISH, wish.id)
    db.session.commit()

    assert audit.is_automatic(hidden) and not audit.is_automatic(gone)
    labels = {row[4]: row[3] for row in audit.event_rows(audit.AuditFilter())}
    assert labels == {"wish.auto_hidden": "automatic", "wish.published": "deleted account"}
    automatic = audit.event_rows(audit.AuditFilter(automatic=True))
    assert [row[4] for row in automatic] == ["wish.auto_hidden"]
