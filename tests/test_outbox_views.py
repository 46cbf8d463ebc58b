"""The outbox for staff, and a premises' landlord box: send now, revoke the report links."""

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.helpers import configure, soup
from wishboard.extensions import db
from wishboard.models import (
    AuditEvent,
    OutboxMessage,
    OutboxStatus,
    Premises,
    Role,
    Support,
    utcnow,
)
from wishboard.services import outbox
from wishboard.services.reports import mail as report_mail
from wishboard.services.reports.links import (
    KeyProblem,
    ReportKeyError,
    check_report_key,
    report_key,
)
from wishboard.settings import settings as app_settings

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english(app: Flask) -> None:
    """The assertions read the English texts; the French catalogue may change its words."""
    configure(app, BABEL_DEFAULT_LOCALE="en")


def post(client, url: str, **kwargs):
    """POST with the session's CSRF token, as the page's forms do."""
    page = soup(client.get("/auth/reset"))
    token = page.select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token}, **kwargs)


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def failed_message(**overrides) -> OutboxMessage:
    values = {
        "recipient": "ana@example.org",
        "subject": "What residents want at 3 rue <i>Piat</i>",
        "body_text": "Text",
        "kind": "report_summary",
        "status": OutboxStatus.FAILED,
        "attempts": outbox.MAX_ATTEMPTS,
        "last_error": "SMTPRecipientsRefused: {'ana@example.org': (550, b'No such user')}",
    }
    message = OutboxMessage(**(values | overrides))
    db.session.add(message)
    db.session.commit()
    return message


def wished_premises(**overrides) -> Premises:
    values = {"landlord_name": "Ana Dupont", "landlord_email": "ana@example.org"}
    premises = factories.make_premises(**(values | overrides))
    factories.make_support(premises)
    db.session.commit()
    return premises


def summaries() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedup_key.like("summary:%"))
    ).all()


# The outbox page


def test_the_outbox_lists_a_failed_message_with_its_error(client, login_as):
    login_as(Role.MODERATOR)
    failed = failed_message()
    pending = failed_message(
        recipient="bob@example.org",
        status=OutboxStatus.PENDING,
        attempts=2,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        next_attempt_at=utcnow() + timedelta(minutes=2),
    )
    failed_message(recipient="sent@example.org", status=OutboxStatus.SENT, last_error=None)

    page = soup(client.get("/moderation/outbox"))

    rows = page.select("table.outbox-table tbody tr")
    assert [row["id"] for row in rows] == [f"message-{pending.id}", f"message-{failed.id}"]
    row = page.select_one(f"#message-{failed.id}")
    cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
    assert cells[0] == "ana@example.org"
    assert cells[1] == "What residents want at 3 rue <i>Piat</i>"  # escaped, shown as typed
    assert cells[2] == "report_summary"
    assert cells[3] == "Failed"
    assert cells[4] == str(outbox.MAX_ATTEMPTS)
    assert "550" in row.select_one(".last-error").get_text()
    assert row.select_one("i") is None
    assert row.select_one("form button").get_text(strip=True) == "Retry now"
    assert "sent@example.org" not in page.get_text()
    # The staff navigation says that something failed, in words.
    nav = page.select_one("nav.staff-nav a[href='/moderation/outbox']")
    assert nav.get_text(strip=True) == "Outbox (1 failed)"
    assert nav["aria-current"] == "page"


def test_the_outbox_filters_by_status(client, login_as):
    login_as(Role.MODERATOR)
    failed_message()
    failed_message(recipient="bob@example.org", status=OutboxStatus.PENDING, last_error=None)

    only_failed = soup(client.get("/moderation/outbox?status=failed"))
    only_pending = soup(client.get("/moderation/outbox?status=pending"))
    fragment = client.get("/moderation/outbox?status=pending", headers=HTMX)

    assert "ana@example.org" in only_failed.get_text()
    assert "bob@example.org" not in only_failed.get_text()
    assert "bob@example.org" in only_pending.get_text()
    assert "ana@example.org" not in only_pending.get_text()
    assert "<html" not in fragment.get_data(as_text=True)
    assert soup(fragment).select_one("section#outbox-results") is not None
    assert client.get("/moderation/outbox?status=sent").status_code == 400
    assert client.get("/moderation/outbox?page=0").status_code == 404


def test_an_empty_outbox_says_everything_was_sent(client, login_as):
    login_as(Role.MODERATOR)
    page = soup(client.get("/moderation/outbox"))
    assert "Every e-mail has been sent." in page.select_one("#outbox-results").get_text()
    nav = page.select_one("nav.staff-nav a[href='/moderation/outbox']")
    assert nav.get_text(strip=True) == "Outbox"


def test_retry_now_sends_a_failed_message(client, login_as):
    login_as(Role.MODERATOR)
    message = failed_message()

    response = post(client, f"/moderation/outbox/{message.id}/retry?status=failed")

    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/outbox?status=failed"
    assert flashes(client) == [("success", "The e-mail to ana@example.org was sent.")]
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT  # no MAIL_SERVER in the tests: the log gets it
    assert message.attempts == outbox.MAX_ATTEMPTS + 1


def test_retry_now_with_htmx_answers_the_list(client, login_as):
    login_as(Role.MODERATOR)
    message = failed_message()

    response = post(client, f"/moderation/outbox/{message.id}/retry", headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    answer = soup(response)
    assert answer.select_one("[role=status]").get_text(strip=True) == (
        "The e-mail to ana@example.org was sent."
    )
    assert answer.select(f"#message-{message.id}") == []


def test_retry_of_the_last_item_of_the_last_page_answers_the_page_before(app, client, login_as):
    app.config["WISHBOARD_PAGE_SIZE"] = 1
    login_as(Role.MODERATOR)
    older = failed_message(recipient="older@example.org", created_at=utcnow() - timedelta(days=1))
    failed_message(recipient="newer@example.org")
    assert "older@example.org" in soup(client.get("/moderation/outbox?page=2")).get_text()

    response = post(client, f"/moderation/outbox/{older.id}/retry?page=2", headers=HTMX)

    assert response.status_code == 200
    answer = soup(response)
    assert "newer@example.org" in answer.select_one("table").get_text()
    assert "older@example.org was sent" in answer.select_one("[role=status]").get_text()


def test_retry_now_that_fails_again_keeps_the_error(app, client, login_as):
    from tests.mail_server import free_port

    configure(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens
    login_as(Role.MODERATOR)
    message = failed_message(status=OutboxStatus.PENDING, attempts=1)

    post(client, f"/moderation/outbox/{message.id}/retry")

    [(category, text)] = flashes(client)
    assert category == "warning"
    assert "could not be sent" in text and "ConnectionRefusedError" in text
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 2


def test_retry_now_leaves_a_sent_message_alone(client, login_as):
    login_as(Role.MODERATOR)
    message = failed_message(status=OutboxStatus.SENT, attempts=1, last_error=None)

    post(client, f"/moderation/outbox/{message.id}/retry")

    assert flashes(client) == [("info", "This e-mail was sent or is being sent: nothing to retry.")]
    db.session.refresh(message)
    assert message.attempts == 1


def test_retry_now_leaves_a_message_being_sent_alone(client, login_as):
    login_as(Role.MODERATOR)
    message = failed_message(status=OutboxStatus.PENDING, attempts=0, last_error=None)
    assert outbox.claim(message.id, utcnow(), app_settings().mail)  # a sender has it in hand

    post(client, f"/moderation/outbox/{message.id}/retry")

    assert flashes(client)[0][0] == "info"
    db.session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)


def test_retry_of_a_message_that_does_not_exist(client, login_as):
    login_as(Role.MODERATOR)
    assert post(client, "/moderation/outbox/999/retry").status_code == 404


# The landlord box of a premises


def test_the_premises_page_shows_the_landlord_box(client, login_as):
    login_as(Role.MODERATOR)
    premises = wished_premises(landlord_name="<b>Ana</b>")

    page = soup(client.get(f"/moderation/premises/{premises.id}/edit"))

    box = page.select_one("section#premises-landlord")
    assert "<b>Ana</b> <ana@example.org>" in box.select_one("dl").get_text(" ", strip=True)
    assert box.select_one("dl b") is None
    assert "Never sent" in box.get_text()
    assert box.select_one(f"a[href='/landlord/premises/{premises.id}/report']") is not None
    buttons = [button.get_text(strip=True) for button in box.select("form button")]
    assert buttons == ["Send now", "Revoke all report links"]


def test_the_landlord_box_of_an_opted_out_address_has_no_send_button(client, login_as):
    login_as(Role.MODERATOR)
    premises = wished_premises()
    report_mail.opt_out("ana@example.org")

    box = soup(client.get(f"/moderation/premises/{premises.id}/edit")).select_one(
        "#premises-landlord"
    )

    assert "asked for no more summaries" in box.get_text()
    assert [b.get_text(strip=True) for b in box.select("button")] == ["Revoke all report links"]


def test_send_now_sends_the_summary_once_even_when_pressed_twice(client, login_as):
    login_as(Role.MODERATOR)
    premises = wished_premises()

    first = post(client, f"/moderation/premises/{premises.id}/send-report")

    assert first.status_code == 303
    assert first.headers["Location"] == f"/moderation/premises/{premises.id}/edit"
    assert flashes(client) == [("success", "The summary was sent to ana@example.org.")]
    [message] = summaries()
    assert message.status is OutboxStatus.SENT
    assert message.recipient == "ana@example.org"

    second = post(client, f"/moderation/premises/{premises.id}/send-report")

    assert second.status_code == 303
    [(category, text)] = flashes(client)
    assert category == "error"
    assert "was queued 0 minutes ago" in text
    assert len(summaries()) == 1
    box = soup(client.get(f"/moderation/premises/{premises.id}/edit")).select_one(
        "#premises-landlord"
    )
    assert "Never sent" not in box.get_text()


def test_send_now_without_new_demand_still_sends(client, login_as):
    login_as(Role.MODERATOR)
    premises = wished_premises()
    for support in db.session.scalars(select(Support)):
        support.created_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    report_mail.send_reports(app_settings(), now=utcnow() - timedelta(hours=1))
    assert len(summaries()) == 1
    assert report_mail.due_premises() == []  # nothing new since

    post(client, f"/moderation/premises/{premises.id}/send-report")

    assert flashes(client)[0][0] == "success"
    assert len(summaries()) == 2


def test_send_now_with_htmx_answers_the_box(client, login_as):
    login_as(Role.MODERATOR)
    premises = wished_premises()

    sent = post(client, f"/moderation/premises/{premises.id}/send-report", headers=HTMX)
    again = post(client, f"/moderation/premises/{premises.id}/send-report", headers=HTMX)

    assert sent.status_code == 200
    assert "<html" not in sent.get_data(as_text=True)
    box = soup(sent).select_one("section#premises-landlord")
    assert box.select_one("[role=status]").get_text(strip=True) == (
        "The summary was sent to ana@example.org."
    )
    assert again.status_code == 409
    assert "0 minutes ago" in soup(again).select_one("[role=alert]").get_text()
    assert len(summaries()) == 1


@pytest.mark.parametrize(
    ("overrides", "opted_out", "reason"),
    [
        ({"landlord_email": None}, False, "has no landlord e-mail address"),
        ({}, True, "asked for no more summaries"),
    ],
)
def test_send_now_refuses_without_a_reachable_landlord(
    client, login_as, overrides, opted_out, reason
):
    login_as(Role.MODERATOR)
    premises = wished_premises(**overrides)
    if opted_out:
        report_mail.opt_out("ana@example.org")

    response = post(client, f"/moderation/premises/{premises.id}/send-report")

    assert response.status_code == 303
    [(category, text)] = flashes(client)
    assert category == "error"
    assert reason in text
    assert summaries() == []


def test_revoke_links_makes_every_old_key_fail(client, login_as):
    moderator = login_as(Role.MODERATOR)
    premises = wished_premises()
    old_key = report_key(premises, app_settings())

    response = post(client, f"/moderation/premises/{premises.id}/revoke-links")

    assert response.status_code == 303
    assert flashes(client)[0][0] == "success"
    db.session.refresh(premises)
    with pytest.raises(ReportKeyError) as refused:
        check_report_key(old_key, premises, app_settings())
    assert refused.value.problem is KeyProblem.REVOKED
    check_report_key(
        report_key(premises, app_settings()), premises, app_settings()
    )  # a new key works
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "premises.links_revoked")
    ).one()
    assert (event.actor_id, event.object_id) == (moderator.id, premises.id)


def test_revoke_links_with_htmx_answers_the_box(client, login_as):
    login_as(Role.MODERATOR)
    premises = wished_premises()

    response = post(client, f"/moderation/premises/{premises.id}/revoke-links", headers=HTMX)

    assert response.status_code == 200
    box = soup(response).select_one("section#premises-landlord")
    assert "no longer works" in box.select_one("[role=status]").get_text()


ROUTES = [
    ("get", "/moderation/outbox"),
    ("post", "/moderation/outbox/{message_id}/retry"),
    ("post", "/moderation/premises/{premises_id}/send-report"),
    ("post", "/moderation/premises/{premises_id}/revoke-links"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
@pytest.mark.parametrize("role", [Role.RESIDENT, Role.LANDLORD])
def test_other_roles_are_refused_and_nothing_changes(client, login_as, method, url, role):
    login_as(role)
    premises = wished_premises()
    message = failed_message()

    address = url.format(message_id=message.id, premises_id=premises.id)
    response = client.get(address) if method == "get" else post(client, address)

    assert response.status_code == 403
    db.session.refresh(premises)
    db.session.refresh(message)
    assert premises.report_link_version == 0
    assert message.status is OutboxStatus.FAILED
    assert summaries() == []


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_visitors_are_sent_to_sign_in(client, method, url):
    premises = wished_premises()
    message = failed_message()

    address = url.format(message_id=message.id, premises_id=premises.id)
    response = client.get(address) if method == "get" else post(client, address)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
