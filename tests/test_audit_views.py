"""The audit log page and its CSV export through the test client."""

import csv
import io
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import make_app
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import Role, User
from wishboard.services import audit


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def record(actor: User | None, action: str, when: datetime, object_type: str, object_id, **kw):
    event = audit.record(actor, action, object_type, object_id, **kw)
    event.created_at = when
    db.session.commit()
    return event


@pytest.fixture
def log(app) -> dict:
    """A moderator who edited a premises, an admin who changed a role, and the site itself."""
    moderator = factories.make_user(role=Role.MODERATOR, display_name="<i>Mona</i>")
    admin = factories.make_user(role=Role.ADMIN, display_name="Adam")
    premises = factories.make_premises(address="5 rue des Lilas")
    wish = factories.make_wish(premises)
    record(
        moderator,
        "premises.updated",
        datetime(2025, 3, 1, 9, 30),
        audit.PREMISES,
        premises.id,
        before={"notes": None},
        after={"notes": "Vitrine refaite"},
    )
    record(
        admin,
        "user.role_changed",
        datetime(2025, 3, 2, 10, 0),
        audit.USER,
        moderator.id,
        before={"role": "resident"},
        after={"role": "moderator"},
    )
    record(None, "wish.auto_hidden", datetime(2025, 3, 3, 11, 0), audit.WISH, wish.id)
    return {"moderator": moderator, "admin": admin, "premises": premises, "wish": wish}


def rows(response) -> list[list[str]]:
    return [
        [" ".join(cell.get_text(" ", strip=True).split()) for cell in row.select("td, th")]
        for row in soup(response).select("#audit-results tbody tr")
    ]


def test_moderators_read_every_event_newest_first(client, login_as, log):
    login_as(Role.MODERATOR)

    response = client.get("/moderation/audit")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "Audit log"
    assert [row[2] for row in rows(response)] == [
        "Wish hidden after flags",
        "Role changed",
        "Premises edited",
    ]
    automatic, role_change, edit = rows(response)
    # In the site's time zone (Paris, UTC+1 in March); the machine-readable time stays UTC.
    assert automatic[0] == "2025-03-03 12:00"
    assert page.select_one("#audit-results tbody time")["datetime"] == "2025-03-03T11:00:00Z"
    assert "Europe/Paris" in page.select_one(".lead").get_text()
    assert automatic[1] == "automatic"
    assert role_change[1] == "Adam"
    assert "role : resident → moderator" in role_change[4].replace("becomes ", "")
    assert edit[1] == "<i>Mona</i>"  # escaped: text, not markup
    assert page.select_one("#audit-results tbody i") is None
    assert "notes" in edit[4] and "Vitrine refaite" in edit[4]


def test_objects_are_links_where_they_can_be_seen(client, login_as, log):
    login_as(Role.MODERATOR)

    page = soup(client.get("/moderation/audit"))

    premises_link = page.find("a", string="5 rue des Lilas")
    assert premises_link["href"] == f"/premises/{log['premises'].id}"
    wish_link = page.find("a", string=f"Wish no. {log['wish'].id} for shop=bakery")
    assert wish_link["href"] == f"/premises/{log['premises'].id}"
    # A moderator cannot open the admin pages: the account is named, not linked.
    assert page.select_one("a[href^='/admin/']") is None


def test_admins_get_a_link_to_the_account(client, login_as, log):
    login_as(Role.ADMIN)

    page = soup(client.get("/moderation/audit"))

    link = page.select_one(f"a[href='/admin/users/{log['moderator'].id}']")
    assert link.get_text(strip=True) == "<i>Mona</i>"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "automatic"}, ["Wish hidden after flags"]),
        ({"action": "user.role_changed"}, ["Role changed"]),
        ({"date_from": "2025-03-02", "date_to": "2025-03-02"}, ["Role changed"]),
        ({"date_to": "2025-03-01"}, ["Premises edited"]),
        ({"date_from": "2025-04-01"}, []),
    ],
)
def test_filters_live_in_the_url(client, login_as, log, query, expected):
    login_as(Role.MODERATOR)

    response = client.get("/moderation/audit", query_string=query)

    assert response.status_code == 200
    assert [row[2] for row in rows(response)] == expected
    page = soup(response)
    for name, value in query.items():
        field = page.select_one(f"#audit-filters [name={name}]")
        chosen = field.get("value") or field.select_one("option[selected]")["value"]
        assert chosen == value
    assert page.select_one("a[download]")["href"].startswith("/moderation/audit.csv?")


def test_filter_by_actor(client, login_as, log):
    login_as(Role.MODERATOR)

    page = soup(client.get("/moderation/audit"))
    options = {o["value"]: o.get_text() for o in page.select("#filter-actor option")}
    response = client.get(f"/moderation/audit?actor={log['admin'].id}")

    assert options[str(log["moderator"].id)].startswith("<i>Mona</i> (")
    assert "automatic" in options
    assert [row[2] for row in rows(response)] == ["Role changed"]


@pytest.mark.parametrize(
    "query",
    [
        "actor=999999",
        "actor=someone",
        "action=wish.exploded",
        "date_from=yesterday",
        "date_from=2025-02-30",
        "date_from=20250301",
        "date_from=2025-03-02&date_to=2025-03-01",
    ],
)
def test_bad_filters_are_a_400_with_the_error_shown(client, login_as, log, query):
    login_as(Role.MODERATOR)

    for url in ("/moderation/audit", "/moderation/audit.csv"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        page = soup(response)
        assert page.select_one(".error-summary li")
        assert page.select_one("#audit-results table") is None


def test_the_log_is_paginated(app, client, login_as, log):
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    login_as(Role.MODERATOR)

    first = client.get("/moderation/audit?actor=automatic")
    everything = client.get("/moderation/audit")
    second = client.get("/moderation/audit?page=2")

    assert len(rows(first)) == 1
    assert len(rows(everything)) == 2 and len(rows(second)) == 1
    assert "page 1 of 2" in soup(everything).select_one("#results-title").get_text()
    assert client.get("/moderation/audit?page=3").status_code == 404
    assert client.get("/moderation/audit?page=-1").status_code == 404


def test_times_and_days_follow_the_site_time_zone(client, login_as, log):
    login_as(Role.MODERATOR)
    # Summer time in Paris (UTC+2): 22:30 UTC on 5 July is 00:30 on 6 July.
    record(None, "wish.auto_hidden", datetime(2025, 7, 5, 22, 30), audit.WISH, log["wish"].id)

    page = client.get("/moderation/audit", query_string={"date_from": "2025-07-06"})

    [row] = rows(page)
    assert row[0] == "2025-07-06 00:30"
    assert rows(client.get("/moderation/audit?date_to=2025-07-05"))[0][0] == "2025-03-03 12:00"


def test_another_town_sets_its_own_time_zone():
    app = make_app(WISHBOARD_TIMEZONE="America/Montreal")
    with app.app_context():
        moderator = factories.make_user(role=Role.MODERATOR)
        record(None, "wish.auto_hidden", datetime(2025, 7, 5, 22, 30), audit.WISH, 1)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        with client.session_transaction() as session:
            session["_user_id"] = moderator.get_id()

        [row] = rows(client.get("/moderation/audit", query_string={"date_to": "2025-07-05"}))

        assert row[0] == "2025-07-05 18:30"  # UTC-4 in summer
        db.session.remove()
        db.engine.dispose()


def test_the_csv_has_the_same_filters_and_neutralised_cells(client, login_as, log):
    login_as(Role.MODERATOR)
    record(
        factories.make_user(display_name="=cmd|'/C calc'!A0"),
        "premises.updated",
        datetime(2025, 3, 1, 12, 0),
        audit.PREMISES,
        log["premises"].id,
    )

    response = client.get("/moderation/audit.csv?date_to=2025-03-01")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    header, *lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == list(audit.CSV_HEADER)
    assert [(line[3], line[4]) for line in lines] == [
        ("'=cmd|'/C calc'!A0", "premises.updated"),
        ("<i>Mona</i>", "premises.updated"),
    ]


def test_residents_and_visitors_are_kept_out(client, login_as, log):
    assert client.get("/moderation/audit").status_code == 302
    login_as(Role.RESIDENT)
    assert client.get("/moderation/audit").status_code == 403
    assert client.get("/moderation/audit.csv").status_code == 403
