"""Closing the loop: a landlord marks a premises let, signed in or through the report link.

The public then sees what opened and how many residents had asked for it, and the premises takes
no new wish.
"""

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import AuditEvent, PremisesStatus, Role, Wish
from wishboard.services import audit
from wishboard.services.reports.links import report_key, revoke_report_links
from wishboard.settings import settings as app_settings

ENGLISH = {"Accept-Language": "en"}
LET = {"shop_type": "shop=bakery", "let_on": "2026-03-02"}


def let_url(premises, **args) -> str:
    query = "".join(f"?{name}={value}" for name, value in args.items())
    return f"/landlord/premises/{premises.id}/let{query}"


def send(client: FlaskClient, url: str, **data):
    """The let form as a browser sends it: its own token, then the answers."""
    page = soup(client.get(url, headers=ENGLISH))
    token = page.select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, **data}, headers=ENGLISH)


def events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.fixture
def asked(app):
    """A vacant premises where two residents asked for a bakery and one for a florist."""
    premises = factories.make_premises(address="3 rue de Meaux")
    factories.make_support(premises, code="shop=bakery")
    factories.make_support(premises, code="shop=bakery")
    factories.make_support(premises, code="shop=florist")
    db.session.commit()
    return premises


def test_a_landlord_with_an_account_marks_their_premises_let(client, login_as, asked):
    landlord = login_as(Role.LANDLORD)
    asked.landlord_id = landlord.id
    db.session.commit()

    response = send(client, let_url(asked), **LET)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/landlord/premises/{asked.id}/report")
    assert (asked.status, asked.let_shop_type.code, asked.let_on) == (
        PremisesStatus.LET,
        "shop=bakery",
        date(2026, 3, 2),
    )
    [event] = events()
    assert (event.action, event.actor_id) == ("premises.let", landlord.id)


def test_a_landlord_without_an_account_marks_it_let_through_the_link(client, asked):
    key = report_key(asked, app_settings())

    page = client.get(let_url(asked, key=key), headers=ENGLISH)
    response = send(client, let_url(asked, key=key), **LET)

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    form = soup(page).select_one("form[method=post]")
    assert form["action"] == let_url(asked, key=key)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/report?key={key}")
    assert asked.status is PremisesStatus.LET
    [event] = events()
    assert (event.action, event.actor_id) == ("premises.let_by_link", None)
    assert audit.actor_label(event, None) == "landlord, through the report link"


def test_bad_answers_are_shown_on_the_form_and_nothing_changes(client, asked):
    key = report_key(asked, app_settings())

    missing = send(client, let_url(asked, key=key), let_on="2026-03-02")
    future = send(client, let_url(asked, key=key), shop_type="shop=bakery", let_on="2999-01-01")

    assert missing.status_code == 422
    assert soup(missing).select_one("#shop_type-error").get_text(strip=True) == (
        "Choose a shop type from the list."
    )
    assert future.status_code == 422
    assert "Enter a date that is not in the future." in soup(future).get_text()
    assert asked.status is PremisesStatus.VACANT and events() == []


@pytest.mark.parametrize("who", ["visitor", "resident", "other landlord", "bad key", "revoked"])
def test_nobody_else_can_mark_it_let(client, login_as, asked, who):
    url = let_url(asked)
    if who == "resident":
        login_as(Role.RESIDENT)
    elif who == "other landlord":
        asked.landlord_id = factories.make_user(role=Role.LANDLORD).id
        db.session.commit()
        login_as(Role.LANDLORD)
    elif who == "bad key":
        url = let_url(asked, key=factories.tampered_token(report_key(asked, app_settings())))
    elif who == "revoked":
        key = report_key(asked, app_settings())
        revoke_report_links(None, asked)
        db.session.commit()
        url = let_url(asked, key=key)
    expected = {"visitor": 302, "revoked": 410}.get(who, 404)

    got = client.get(url, headers=ENGLISH)
    token = soup(client.get("/auth/login")).select_one("input[name=csrf_token]")["value"]
    posted = client.post(url, data={"csrf_token": token, **LET}, headers=ENGLISH)

    assert (got.status_code, posted.status_code) == (expected, expected)
    assert asked.status is PremisesStatus.VACANT
    if who == "revoked":
        assert "This link has been withdrawn." in soup(got).get_text()


def test_a_key_opens_only_its_own_premises(client, asked):
    other = factories.make_premises()
    db.session.commit()

    response = client.get(let_url(other, key=report_key(asked, app_settings())), headers=ENGLISH)

    assert response.status_code == 404


def test_the_public_sees_what_opened_and_how_many_had_asked(client, asked):
    send(client, let_url(asked, key=report_key(asked, app_settings())), **LET)

    english = soup(client.get(f"/premises/{asked.id}", headers=ENGLISH))
    french = soup(client.get(f"/premises/{asked.id}", headers={"Accept-Language": "fr"}))

    expected = "Opened here on March 2, 2026: Bakery. 2 residents had asked for one."
    assert expected in " ".join(english.select_one(".let-result").get_text().split())
    # The French catalogue is compiled by `make translations` (CI does it before the tests).
    assert "2 habitants en avaient fait la demande." in french.select_one(".let-result").get_text()
    assert english.select_one(f"form#wish-form-{asked.id}") is None


def test_a_let_premises_takes_no_new_wish(client, login_as, asked):
    send(client, let_url(asked, key=report_key(asked, app_settings())), **LET)
    resident = login_as(Role.RESIDENT)
    page = soup(client.get(f"/premises/{asked.id}", headers=ENGLISH))
    token = page.select_one("input[name=csrf_token]")["value"]

    client.post(
        f"/premises/{asked.id}/wishes",
        data={"csrf_token": token, "shop_type": "shop=florist"},
        headers=ENGLISH,
    )

    assert db.session.scalars(select(Wish).where(Wish.author_id == resident.id)).all() == []
