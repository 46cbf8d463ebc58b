"""Fresh demand: old supports are asked about once, kept counting when confirmed, and stop counting
everywhere at once when ignored past the grace period (services/demand/freshness.py)."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from tests import factories
from tests.helpers import configure, count, csrf_token, soup
from tests.mail_server import free_port, smtp_server
from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    Notification,
    NotificationKind,
    PremisesStatus,
    Support,
    utcnow,
)
from wishboard.models.demand import triggers_paused
from wishboard.services.demand import freshness, wishes
from wishboard.services.people import notifications
from wishboard.services.reports.report import build_report
from wishboard.settings import settings as app_settings

ENGLISH = {"Accept-Language": "en"}
AGE, GRACE = 365, 30
NOW = datetime(2026, 12, 4, 9, 0)
OLD = NOW - timedelta(days=AGE + 10)  # past the age: asked about
FRESH = NOW - timedelta(days=20)


def old_support(premises, resident=None, code="shop=bakery", given=OLD) -> Support:
    support = factories.make_support(premises, resident or factories.make_user(), code=code)
    support.created_at = given
    return support


def run(at: datetime):
    """One daily run of send-notifications, at `at`."""
    return notifications.send_digests(app_settings(), now=at)


# The counts the triggers keep, on both databases ----------------------------------------------


def counts_by_pair() -> dict[tuple[int, int], int]:
    return {
        (row.premises_id, row.shop_type_id): row.supports
        for row in db.session.scalars(select(DemandCount))
    }


def counted_supports() -> dict[tuple[int, int], int]:
    rows = db.session.execute(
        select(Support.premises_id, Support.shop_type_id, func.count())
        .where(Support.counted.is_(True))
        .group_by(Support.premises_id, Support.shop_type_id)
    )
    return {(premises_id, type_id): number for premises_id, type_id, number in rows}


def test_demand_counts_hold_counted_supports_only_on_both_databases(any_db_app: Flask) -> None:
    place = factories.make_premises()
    people = [factories.make_user() for _ in range(4)]
    supports = [factories.make_support(place, person) for person in people]
    db.session.commit()
    bakery, cheese = factories.shop_type("shop=bakery"), factories.shop_type("shop=cheese")
    steps = [
        # Two stop counting at once, as expire() does it.
        update(Support).where(Support.id.in_([s.id for s in supports[:2]])).values(counted=False),
        # One comes back, as a confirmation does.
        update(Support).where(Support.id == supports[0].id).values(counted=True),
        # An uncounted one moves to another type (a merge of types): nothing to count.
        update(Support).where(Support.id == supports[1].id).values(shop_type_id=cheese.id),
        # It counts again, now for cheese.
        update(Support).where(Support.id == supports[1].id).values(counted=True),
        # Stops counting and moves in one statement.
        update(Support)
        .where(Support.id == supports[2].id)
        .values(counted=False, shop_type_id=cheese.id),
        # Deleting an uncounted one takes nothing away; deleting a counted one does.
        delete(Support).where(Support.id.in_([supports[2].id, supports[3].id])),
    ]
    b, c = (place.id, bakery.id), (place.id, cheese.id)
    expected = [{b: 2}, {b: 3}, {b: 3}, {b: 3, c: 1}, {b: 2, c: 1}, {b: 1, c: 1}]
    for step, counts in zip(steps, expected, strict=True):
        db.session.execute(step)
        db.session.commit()
        assert counts_by_pair() == counted_supports() == counts, str(step)
    # A bulk load rebuilds the counts from counted supports only.
    with db.engine.begin() as connection, triggers_paused(connection):
        pass
    assert counts_by_pair() == counted_supports() == {b: 1, c: 1}


# Asking, once --------------------------------------------------------------------------------


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp_app(app: Flask, port: int) -> Flask:
    configure(
        app,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_DEFAULT_SENDER="Wishboard <mail@example.org>",
        BABEL_DEFAULT_LOCALE="en",
    )
    return app


def text_of(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


def test_an_old_support_is_asked_about_once_with_a_link_in_the_digest(smtp_app, port):
    ana = factories.make_user(locale="en")
    place = factories.make_premises(address='12 rue <b>"Haxo"</b>')
    support = old_support(place, ana)
    recent = factories.make_support(factories.make_premises(), ana)
    db.session.commit()

    with smtp_server(port) as inbox:
        first = run(NOW)
        same_day = run(NOW + timedelta(hours=2))
        next_day = run(NOW + timedelta(days=1))

    assert (first.asked, first.digests, same_day.asked, next_day.asked) == (1, 1, 0, 0)
    assert len(inbox.messages) == 1
    body = text_of(inbox.messages[0])
    assert 'you asked for Bakery at 12 rue <b>"Haxo"</b>. Do you still want it?' in body
    deadline = (NOW + timedelta(days=GRACE)).strftime("%B %-d, %Y")
    assert f"confirm it by {deadline}" in body
    html = inbox.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "<b>" not in html and "&lt;b&gt;" in html
    link = freshness.confirm_key(support, app_settings())
    assert f"/supports/confirm/{link}" in body
    db.session.refresh(support)
    db.session.refresh(recent)
    assert support.confirmation_asked_at == NOW and recent.confirmation_asked_at is None
    assert count(Notification, Notification.kind == NotificationKind.CONFIRM) == 1


def test_the_link_asks_on_get_and_confirms_on_post_then_it_keeps_counting(app, client):
    ana = factories.make_user()
    place = factories.make_premises()
    support = old_support(place, ana)
    db.session.commit()
    run(NOW)
    key = freshness.confirm_key(support, app_settings())

    page = client.get(f"/supports/confirm/{key}", headers=ENGLISH)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert soup(page).select_one("form button").get_text() == "Yes, I still want it"
    db.session.refresh(support)
    assert support.confirmed_at is None  # a mail scanner's GET confirms nothing

    token = csrf_token(client, f"/supports/confirm/{key}")
    done = client.post(f"/supports/confirm/{key}", data={"csrf_token": token}, headers=ENGLISH)
    assert done.status_code == 200
    assert "keeps counting" in soup(done).select_one("[role=status]").get_text()
    assert client.post(f"/supports/confirm/{key}").status_code == 400  # no token
    db.session.refresh(support)
    assert support.counted and support.confirmation_asked_at is None
    assert support.confirmed_at is not None and support.created_at == OLD

    # Long past the grace period of the old asking, it still counts: it was confirmed.
    later = support.confirmed_at + timedelta(days=GRACE * 3)
    assert run(later).expired == 0
    db.session.refresh(support)
    assert support.counted
    assert client.get("/supports/confirm/not-a-key").status_code == 404


def _page_count(client, place) -> str:
    page = soup(client.get(f"/premises/{place.id}", headers=ENGLISH))
    return page.select_one(".support-count").get_text()


def _geojson_total(client, place) -> int:
    features = client.get("/api/premises.geojson").get_json()["features"]
    return next(f for f in features if f["properties"]["id"] == place.id)["properties"][
        "total_support"
    ]


def _csv_supports(client, place) -> list[str]:
    rows = csv.DictReader(io.StringIO(client.get("/api/demand.csv").get_data(as_text=True)))
    return [row["supports"] for row in rows if row["premises_id"] == str(place.id)]


def test_an_ignored_support_stops_counting_everywhere_at_once_and_is_kept(app, client):
    ana, bea = factories.make_user(), factories.make_user()
    place = factories.make_premises()
    ignored = old_support(place, ana)
    factories.make_support(place, bea).created_at = FRESH
    db.session.commit()
    run(NOW)

    def everywhere():
        report = build_report(place, now=NOW)
        return (
            _page_count(client, place),
            _geojson_total(client, place),
            _csv_supports(client, place),
            (report.total_supports, report.supporters),
        )

    assert everywhere() == ("2 residents", 2, ["2"], (2, 2))
    assert run(NOW + timedelta(days=GRACE - 1)).expired == 0
    assert everywhere() == ("2 residents", 2, ["2"], (2, 2))

    assert run(NOW + timedelta(days=GRACE + 1)).expired == 1
    assert everywhere() == ("1 resident", 1, ["1"], (1, 1))
    db.session.refresh(ignored)
    assert not ignored.counted and ignored.created_at == OLD  # kept, with its history

    # Ana sees it in her wishes, and may make it count again.
    with client.session_transaction() as session:
        session["_user_id"] = ana.get_id()
    mine = soup(client.get("/me/wishes", headers=ENGLISH))
    assert "No longer counted" in mine.select_one(".support-freshness").get_text()
    action = mine.select_one(f"form[action='/me/supports/{ignored.id}/confirm']")
    token = csrf_token(client, "/me/wishes")
    assert client.post(action["action"], data={"csrf_token": token}).status_code == 303
    assert everywhere() == ("2 residents", 2, ["2"], (2, 2))


def test_supports_nobody_can_be_asked_about_stop_counting_after_the_age_and_grace(app):
    quiet = factories.make_user(notify_confirm=False)
    place = factories.make_premises()
    unasked = old_support(place, quiet, given=NOW - timedelta(days=AGE))
    gone = old_support(place, factories.make_user(), code="shop=cheese", given=unasked.created_at)
    gone.resident = None  # its account was deleted
    let_place = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=bakery"),
        let_on=NOW.date(),
    )
    kept = old_support(let_place, quiet, given=NOW - timedelta(days=AGE * 3))
    db.session.commit()

    assert run(NOW).asked == 0
    assert run(NOW + timedelta(days=GRACE - 1)).expired == 0
    assert run(NOW + timedelta(days=GRACE + 1)).expired == 2
    for support in (unasked, gone, kept):
        db.session.refresh(support)
    assert (unasked.counted, gone.counted, kept.counted) == (False, False, True)
    assert kept.confirmation_asked_at is None  # a let premises keeps its demand as it was


def test_supporting_again_counts_a_lapsed_support_again(app):
    ana = factories.make_user()
    place = factories.make_premises()
    support = old_support(place, ana)
    support.counted = False
    db.session.commit()
    bakery = factories.shop_type("shop=bakery")
    assert wishes.standing(ana, place, 3).supports(bakery) is False

    assert wishes.support(ana, place, bakery, max_types=3).changed is True
    assert wishes.support(ana, place, bakery, max_types=3).changed is False  # a double tap

    db.session.refresh(support)
    assert support.counted and support.created_at == OLD and support.confirmed_at is not None
    assert count(Support) == 1
    assert db.session.get(DemandCount, (place.id, bakery.id)).supports == 1


def test_confirming_over_the_cap_of_types_is_refused(app, client, login_as):
    ana = login_as()
    place = factories.make_premises()
    lapsed = old_support(place, ana)
    lapsed.counted = False
    for code in ("shop=cheese", "shop=butcher", "shop=greengrocer"):
        factories.make_support(place, ana, code=code)
    db.session.commit()
    token = csrf_token(client, "/me/wishes")

    response = client.post(
        f"/me/supports/{lapsed.id}/confirm", data={"csrf_token": token}, headers=ENGLISH
    )

    assert response.status_code == 303
    page = soup(client.get("/me/wishes", headers=ENGLISH))
    assert "withdraw one to choose another" in page.select_one(".flash-error").get_text()
    db.session.refresh(lapsed)
    assert lapsed.counted is False


def test_a_resident_confirms_only_their_own_support(app, client, login_as):
    login_as()
    someone_else = old_support(factories.make_premises(), factories.make_user())
    someone_else.counted = False
    db.session.commit()
    token = csrf_token(client, "/me/wishes")

    response = client.post(f"/me/supports/{someone_else.id}/confirm", data={"csrf_token": token})

    assert response.status_code == 404
    db.session.refresh(someone_else)
    assert someone_else.counted is False


def test_the_landlord_report_says_how_much_of_the_demand_is_recent(app):
    place = factories.make_premises()
    old_support(place, given=NOW - timedelta(days=200))
    reconfirmed = old_support(place, code="shop=cheese", given=NOW - timedelta(days=200))
    reconfirmed.confirmed_at = NOW - timedelta(days=10)
    old_support(place, given=NOW - timedelta(days=5))
    lapsed = old_support(place, given=NOW - timedelta(days=2))
    lapsed.counted = False  # not part of the demand at all
    db.session.commit()

    report = build_report(place, now=NOW)

    assert (report.total_supports, report.recent_supports, report.recent_percent) == (3, 2, 67)


def test_the_report_page_shows_the_recent_share(app, client, login_as):
    login_as("moderator")
    place = factories.make_premises()
    old_support(place, given=utcnow() - timedelta(days=200))
    factories.make_support(place)
    db.session.commit()

    page = soup(client.get(f"/landlord/premises/{place.id}/report", headers=ENGLISH))

    summary = " ".join(page.select_one(".report-summary").get_text().split())
    assert "50 % of them (1 support) were given or confirmed in the last 90 days" in summary
