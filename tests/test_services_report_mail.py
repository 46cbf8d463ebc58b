"""Demand summaries to landlords, through a real SMTP server: sent once, lost never, stoppable."""

from collections.abc import Iterator
from datetime import timedelta
from threading import Barrier, Thread
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask, url_for
from sqlalchemy import func, select

from tests import factories
from tests.conftest import make_app
from tests.helpers import configure
from tests.mail_server import free_port, smtp_server
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, Premises, Role, utcnow
from wishboard.services import outbox
from wishboard.services.reports import mail as report_mail
from wishboard.services.reports.links import (
    check_report_key,
    email_for_unsubscribe_key,
    unsubscribe_key,
)
from wishboard.settings import settings as app_settings

SENDER = "Wishboard <mail@example.org>"


@pytest.fixture(autouse=True)
def english(app: Flask) -> None:
    """The assertions read the English texts; the French catalogue may change its words."""
    configure(app, BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp_app(app: Flask, port: int) -> Flask:
    """The app sending through an SMTP server on `port` (running or not)."""
    configure(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER=SENDER)
    return app


def wished_premises(supports: dict[str, int] | None = None, **overrides) -> Premises:
    """A premises with a landlord contact and supports ({shop type code: how many})."""
    values = {"landlord_name": "Ana Dupont", "landlord_email": "ana@example.org"}
    premises = factories.make_premises(**(values | overrides))
    for code, count in (supports or {"shop=bakery": 3, "shop=greengrocer": 2}).items():
        for _ in range(count):
            factories.make_support(premises, code=code)
    db.session.commit()
    return premises


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def parts(email) -> tuple[str, BeautifulSoup]:
    """The plain text and the parsed HTML of a received e-mail."""
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    return text, BeautifulSoup(html, "html.parser")


def label(code: str, locale: str = "en") -> str:
    return factories.shop_type(code).label(locale)


# A full send


def test_a_full_send_reaches_the_landlord_with_the_signed_link(smtp_app, port, client):
    premises = wished_premises({"shop=bakery": 3, "shop=greengrocer": 2, "shop=butcher": 1})
    factories.make_support(premises, code="shop=books")
    db.session.commit()

    with smtp_server(port) as inbox:
        result = report_mail.send_reports(app_settings())

    assert (result.queued, result.skipped, result.sent, result.failed) == (1, 0, 1, 0)
    assert len(inbox.messages) == 1
    email = inbox.messages[0]
    assert email["To"] == "ana@example.org"
    assert inbox.envelopes[0][1] == ["ana@example.org"]
    assert premises.address in email["Subject"]
    text, html = parts(email)
    assert "Ana Dupont" in text
    assert premises.address in text
    # The top three types with their counts, in the landlord's language (the site's by default).
    top = [item.get_text(" ", strip=True) for item in html.select("ol.top-types li")]
    assert top == [
        f"{label('shop=bakery')}: 3 residents",
        f"{label('shop=greengrocer')}: 2 residents",
        f"{label('shop=butcher')}: 1 resident",
    ]
    assert f"{label('shop=bakery')}: 3 residents" in text
    assert label("shop=books") not in text  # the fourth type is in the report, not the e-mail
    assert html.select("ul.new-supports") == []  # a first summary has no "new since"

    link = html.select_one("a.report-link")["href"]
    assert link in text
    address = urlsplit(link)
    assert address.path == f"/landlord/premises/{premises.id}/report"
    key = parse_qs(address.query)["key"][0]
    check_report_key(
        key, premises, app_settings()
    )  # raises when it is not a current key of this premises
    page = client.get(f"{address.path}?{address.query}")
    assert page.status_code == 200
    assert premises.address in page.get_data(as_text=True)

    message = messages()[0]
    assert message.status is OutboxStatus.SENT
    assert message.kind == "report_summary"
    assert message.dedup_key == f"summary:{premises.id}:first"
    db.session.refresh(premises)
    assert premises.summary_sent_until is not None


def test_the_summary_carries_the_list_unsubscribe_headers(smtp_app, port):
    wished_premises()

    with smtp_server(port) as inbox:
        report_mail.send_reports(app_settings())

    email = inbox.messages[0]
    _, html = parts(email)
    unsubscribe = html.select_one("a.unsubscribe-link")["href"]
    assert email["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    key = urlsplit(unsubscribe).path.rsplit("/", 1)[1]
    assert email_for_unsubscribe_key(key, app_settings()) == "ana@example.org"


def test_user_text_is_escaped_in_the_html_part(smtp_app, port):
    wished_premises(address="12 <b>rue</b> & fils", landlord_name="<script>alert(1)</script> Ana")

    with smtp_server(port) as inbox:
        report_mail.send_reports(app_settings())

    email = inbox.messages[0]
    raw_html = email.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in raw_html
    assert "<b>rue</b>" not in raw_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ana" in raw_html
    assert "12 &lt;b&gt;rue&lt;/b&gt; &amp; fils" in raw_html
    _, html = parts(email)
    assert html.select("script, b") == []
    # The plain text part is not HTML: it shows the text as typed.
    text, _ = parts(email)
    assert "12 <b>rue</b> & fils" in text


def test_without_an_account_the_summary_is_in_the_sites_language(app):
    french = make_app()  # French by default
    with french.app_context():
        wished_premises()
        report_mail.send_reports(app_settings())
        [message] = messages()
        html = BeautifulSoup(message.body_html, "html.parser")
        assert html.select_one("html")["lang"] == "fr"
        assert label("shop=bakery", "fr") in message.body_text
        db.session.remove()
        db.engine.dispose()


def test_a_landlord_account_gets_it_at_its_address_in_its_language(smtp_app, port):
    configure(smtp_app, BABEL_DEFAULT_LOCALE="fr")
    landlord = factories.make_user(
        role=Role.LANDLORD, email="owner@example.org", display_name="Owner", locale="en"
    )
    wished_premises(landlord_id=landlord.id, landlord_email=None, landlord_name=None)

    with smtp_server(port) as inbox:
        report_mail.send_reports(app_settings())

    email = inbox.messages[0]
    assert email["To"] == "owner@example.org"
    text, html = parts(email)
    assert "Hello Owner," in text
    assert html.select_one("html")["lang"] == "en"
    assert f"{label('shop=bakery', 'en')}: 3 residents" in text


def test_who_is_due_a_summary(app):
    due = wished_premises()
    let = wished_premises(landlord_email="let@example.org")
    factories.make_premises(landlord_email="nobody-wished@example.org")
    wished_premises(landlord_email=None)
    wished_premises(landlord_email="   ")
    withdrawn = wished_premises(landlord_email="gone@example.org")
    withdrawn.status = "withdrawn"
    let.status, let.let_shop_type, let.let_on = "let", factories.shop_type(), utcnow().date()
    opted_out = wished_premises(landlord_email="Stop@Example.org ")
    db.session.commit()
    report_mail.opt_out("stop@example.org")

    assert [p.id for p in report_mail.due_premises()] == [due.id, let.id]
    assert opted_out.id not in {p.id for p in report_mail.due_premises()}


# Nothing lost, nothing twice


def test_smtp_down_then_up_loses_nothing_and_sends_once(smtp_app, port, client, login_as):
    wished_premises()
    start = utcnow()

    first = report_mail.send_reports(app_settings(), now=start)  # nothing listens on the port yet

    assert (first.queued, first.sent, first.failed) == (1, 0, 1)
    [message] = messages()
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == start + outbox.retry_delay(1)

    login_as(Role.MODERATOR)
    page = BeautifulSoup(client.get("/moderation/outbox").get_data(as_text=True), "html.parser")
    row = page.select_one(f"tr#message-{message.id}")
    assert "ana@example.org" in row.get_text()
    assert "ConnectionRefusedError" in row.select_one(".last-error").get_text()

    with smtp_server(port) as inbox:
        too_soon = report_mail.send_reports(app_settings(), now=start + timedelta(seconds=30))
        assert (too_soon.queued, too_soon.sent) == (0, 0)
        assert inbox.messages == []

        later = report_mail.send_reports(app_settings(), now=start + timedelta(minutes=2))
        again = report_mail.send_reports(app_settings(), now=start + timedelta(minutes=30))

    assert (later.queued, later.sent, later.failed) == (0, 1, 0)
    assert (again.queued, again.sent) == (0, 0)
    assert len(inbox.messages) == 1
    [message] = messages()
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 2
    assert message.last_error is None


def test_a_crash_between_queueing_and_sending_loses_nothing(smtp_app, port):
    premises = wished_premises()
    now = utcnow()
    assert (
        report_mail.queue_summary(premises, app_settings(), now) is not None
    )  # then the process died

    with smtp_server(port) as inbox:
        result = report_mail.send_reports(app_settings(), now=now + timedelta(seconds=1))

    assert (result.queued, result.sent) == (0, 1)
    assert len(inbox.messages) == 1


def test_a_second_run_without_new_demand_sends_nothing(smtp_app, port):
    wished_premises()
    start = utcnow()

    with smtp_server(port) as inbox:
        report_mail.send_reports(app_settings(), now=start)
        second = report_mail.send_reports(app_settings(), now=start + timedelta(days=1))

    assert (second.queued, second.sent) == (0, 0)
    assert len(inbox.messages) == 1
    assert report_mail.due_premises(start + timedelta(days=1)) == []


def test_a_summary_that_fails_to_be_written_does_not_stop_the_others(smtp_app, port, monkeypatch):
    broken = wished_premises()
    fine = wished_premises(landlord_email="bea@example.org")
    write = report_mail._queue

    def fail_for_the_broken_one(premises, key, now, settings):
        if premises.id == broken.id:
            raise RuntimeError("a template that does not render")
        return write(premises, key, now, settings)

    monkeypatch.setattr(report_mail, "_queue", fail_for_the_broken_one)
    with smtp_server(port) as inbox:
        result = report_mail.send_reports(app_settings())

    assert (result.queued, result.failed, result.sent) == (1, 1, 1)
    assert [email["To"] for email in inbox.messages] == ["bea@example.org"]
    assert broken.summary_sent_until is None  # still due: the next run tries it again
    assert fine.summary_sent_until is not None


def test_new_demand_sends_a_second_summary_saying_what_is_new(smtp_app, port):
    premises = wished_premises({"shop=bakery": 3, "shop=greengrocer": 1})
    start = utcnow()
    with smtp_server(port) as inbox:
        report_mail.send_reports(app_settings(), now=start)
        for _ in range(2):
            factories.make_support(premises, code="shop=greengrocer").created_at = (
                start + timedelta(days=1)
            )
        db.session.commit()

        result = report_mail.send_reports(app_settings(), now=start + timedelta(days=2))

    assert (result.queued, result.sent) == (1, 1)
    assert len(inbox.messages) == 2
    text, html = parts(inbox.messages[1])
    assert html.select_one("h2:-soup-contains('New since')") is not None
    new = [item.get_text(" ", strip=True) for item in html.select("ul.new-supports li")]
    assert new == [f"{label('shop=greengrocer')}: 2 new residents"]
    assert f"{label('shop=greengrocer')}: 2 new residents" in text
    top = [item.get_text(" ", strip=True) for item in html.select("ol.top-types li")]
    assert top[1] == f"{label('shop=greengrocer')}: 3 residents"
    second = messages()[1]
    assert second.dedup_key == f"summary:{premises.id}:{start.isoformat()}"


def test_a_sender_that_read_the_list_before_another_finished_skips_it(tmp_path, port):
    """Two runs interleaved, each with its own database session (an app context each)."""
    app = make_app(
        f"sqlite:///{tmp_path / 'interleaved.sqlite3'}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_DEFAULT_SENDER=SENDER,
        BABEL_DEFAULT_LOCALE="en",
    )
    with smtp_server(port) as inbox, app.app_context():
        wished_premises()
        now = utcnow()
        db.session.remove()
        stale = report_mail.due_premises(now)  # this run has listed it...
        with app.app_context():
            report_mail.send_reports(app_settings(), now)  # ...when another run does the whole job
        assert report_mail.queue_summary(stale[0], app_settings(), now) is None
        assert report_mail.send_reports(app_settings(), now).queued == 0
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
        db.session.remove()
        db.engine.dispose()
    assert len(inbox.messages) == 1


def test_a_sender_that_loses_the_race_for_the_period_queues_nothing(tmp_path, monkeypatch):
    """The other sender commits the same period between this one's check and its insert."""
    app = make_app(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    real_queue = report_mail._queue

    def other_sender_first(premises, key, now, settings):
        with app.app_context():
            outbox.queue("ana@example.org", "Other", "Other", kind="report_summary", dedup_key=key)
            db.session.commit()
        return real_queue(premises, key, now, settings)

    monkeypatch.setattr(report_mail, "_queue", other_sender_first)
    with app.app_context():
        premises = wished_premises()
        assert report_mail.queue_summary(premises, app_settings(), utcnow()) is None
        assert [m.subject for m in messages()] == ["Other"]
        assert db.session.get(Premises, premises.id).summary_sent_until is None
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def file_app(tmp_path, port) -> Iterator[Flask]:
    """An app on a SQLite file, which several threads can share (each with its own session)."""
    app = make_app(
        f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_DEFAULT_SENDER=SENDER,
        BABEL_DEFAULT_LOCALE="en",
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_two_runs_at_once_send_each_summary_once(file_app, port):
    premises_ids = [wished_premises(landlord_email=f"owner{i}@example.org").id for i in range(5)]
    db.session.remove()
    start, results, errors = Barrier(2), [], []

    def run() -> None:
        with file_app.app_context():
            start.wait()
            try:
                results.append(report_mail.send_reports(app_settings()))
            except Exception as error:  # kept, so that the test shows it
                errors.append(error)
            finally:
                db.session.remove()

    with smtp_server(port) as inbox:
        threads = [Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert sum(result.queued for result in results) == 5
    assert sum(result.sent for result in results) == 5
    assert sorted(email["To"] for email in inbox.messages) == [
        f"owner{i}@example.org" for i in range(5)
    ]
    assert len(messages()) == 5
    assert {m.dedup_key for m in messages()} == {f"summary:{i}:first" for i in premises_ids}


# Unsubscribing


def test_opting_out_stops_the_summaries_and_opting_in_brings_them_back(smtp_app, port):
    premises = wished_premises(landlord_email="Ana@Example.org")
    start = utcnow()

    report_mail.opt_out("ana@example.org ")
    report_mail.opt_out("ANA@example.org")  # twice changes nothing
    with smtp_server(port) as inbox:
        stopped = report_mail.send_reports(app_settings(), now=start)
        assert (stopped.queued, inbox.messages) == (0, [])
        assert report_mail.queue_summary(premises, app_settings(), start, force=True) is None

        report_mail.opt_in("ana@example.org")
        report_mail.opt_in("ana@example.org")
        back = report_mail.send_reports(app_settings(), now=start + timedelta(seconds=1))

    assert (back.queued, back.sent) == (1, 1)
    assert len(inbox.messages) == 1


def test_the_unsubscribe_link_of_the_e_mail_stops_and_restarts(smtp_app, port, client):
    wished_premises()
    with smtp_server(port) as inbox:
        report_mail.send_reports(app_settings())
    _, html = parts(inbox.messages[0])
    path = urlsplit(html.select_one("a.unsubscribe-link")["href"]).path

    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    assert page.select_one("button[value=stop]").get_text(strip=True) == "Stop these e-mails"
    assert "ana@example.org" in page.select_one("#summary-subscription").get_text()

    # RFC 8058: the mail client's one-click POST, without any CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 303
    assert response.headers["Location"] == path
    assert report_mail.is_opted_out("ana@example.org")
    assert report_mail.due_premises() == []
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 303

    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    assert page.select_one(".flash").get_text(strip=True).startswith("No more summaries")
    assert page.select_one("button[value=resume]").get_text(strip=True) == ("Send them to me again")
    assert page.select("button[value=stop]") == []

    fragment = client.post(path, data={"action": "resume"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    box = BeautifulSoup(fragment.get_data(as_text=True), "html.parser")
    assert box.select_one("[role=status]").get_text(strip=True).startswith("The summaries will")
    assert box.select_one("button[value=stop]") is not None
    assert not report_mail.is_opted_out("ana@example.org")


def test_an_unsubscribe_link_that_is_not_ours_is_not_found(client):
    assert client.get("/landlord/unsubscribe/not-a-key").status_code == 404
    assert client.post("/landlord/unsubscribe/not-a-key").status_code == 404


def test_the_unsubscribe_page_is_kept_out_of_caches(app, client):
    with app.test_request_context():
        path = url_for(
            "landlord.unsubscribe", key=unsubscribe_key("ana@example.org", app_settings())
        )
    response = client.get(path)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


# The command line


def test_send_reports_command_says_what_it_did(smtp_app, port, runner):
    wished_premises()
    wished_premises(landlord_email="other@example.org")

    with smtp_server(port) as inbox:
        result = runner.invoke(args=["send-reports"])
        again = runner.invoke(args=["send-reports"])

    assert result.exit_code == 0, result.output
    assert "2 summaries queued." in result.output
    assert "2 e-mails sent." in result.output
    assert again.exit_code == 0, again.output
    assert "0 summaries queued." in again.output
    assert len(inbox.messages) == 2


def test_send_reports_command_with_smtp_down_says_it_will_retry(smtp_app, runner):
    wished_premises()

    result = runner.invoke(args=["send-reports"])

    assert result.exit_code == 0, result.output
    assert "1 summary queued." in result.output
    assert "1 e-mail could not be sent; it will be retried." in result.output
