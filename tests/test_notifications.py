"""Residents hear what became of their wishes: one digest a day, through a real SMTP server."""

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories
from tests.helpers import configure, csrf_token, soup
from tests.mail_server import free_port, smtp_server
from wishboard.extensions import db
from wishboard.models import Notification, Role, User, WishStatus, utcnow
from wishboard.services.demand import moderation
from wishboard.services.people import accounts, notifications
from wishboard.services.premises import management
from wishboard.services.premises.management import PremisesValues
from wishboard.settings import settings as app_settings

SENDER = "Wishboard <mail@example.org>"
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp_app(app: Flask, port: int) -> Flask:
    configure(
        app,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_DEFAULT_SENDER=SENDER,
        BABEL_DEFAULT_LOCALE="en",
    )
    return app


def text_of(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


def html_of(email) -> BeautifulSoup:
    return BeautifulSoup(email.get_body(preferencelist=("html",)).get_content(), "html.parser")


def supported_premises(*residents: User, code: str = "shop=bakery", address="12 rue Haxo"):
    premises = factories.make_premises(address=address)
    for resident in residents:
        factories.make_support(premises, resident, code=code)
    db.session.commit()
    return premises


def let(premises, code: str = "shop=bakery") -> None:
    moderator = factories.make_user(Role.MODERATOR)
    db.session.commit()
    management.mark_let(moderator, premises, factories.shop_type(code), date(2026, 11, 30))


def test_a_let_premises_tells_each_supporter_once_even_when_run_twice(smtp_app, port):
    ana, bea = factories.make_user(locale="en"), factories.make_user(locale="en")
    premises = supported_premises(ana, bea)
    other = factories.make_user(locale="en")
    factories.make_support(premises, other, code="shop=greengrocer")
    db.session.commit()
    let(premises)

    with smtp_server(port) as inbox:
        first = notifications.send_digests(app_settings())
        again = notifications.send_digests(app_settings())

    assert (first.digests, first.sent, again.digests, again.sent) == (3, 3, 0, 0)
    by_recipient = {email["To"]: email for email in inbox.messages}
    assert sorted(by_recipient) == sorted([ana.email, bea.email, other.email])
    assert "2 residents asked for it, you among them." in text_of(by_recipient[ana.email])
    assert "Bakery has opened, as you had asked" in text_of(by_recipient[ana.email])
    # Someone who wanted something else is told what opened, and how many had asked for it.
    other_text = text_of(by_recipient[other.email])
    assert "12 rue Haxo is let: Bakery has opened. 2 residents had asked for it." in other_text
    link = html_of(by_recipient[ana.email]).select_one(f"a[href$='/premises/{premises.id}']")
    assert link is not None


def test_three_events_make_one_digest(smtp_app, port):
    ana = factories.make_user(locale="en")
    first = supported_premises(ana, address="1 rue Un")
    second = supported_premises(ana, address="2 rue Deux")
    wish = factories.make_wish(
        first, ana, comment="Une vraie boulangerie", status=WishStatus.PENDING
    )
    db.session.commit()
    let(first)
    let(second)
    moderation.publish(factories.make_user(Role.MODERATOR), [wish.id])

    with smtp_server(port) as inbox:
        run = notifications.send_digests(app_settings())

    assert (run.digests, run.sent) == (1, 1)
    (email,) = inbox.messages
    text = text_of(email)
    assert "1 rue Un is let" in text and "2 rue Deux is let" in text
    assert "Your comment on 1 rue Un is published." in text


def test_one_digest_a_day_the_rest_waits_for_tomorrow(smtp_app, port):
    ana = factories.make_user(locale="en")
    first = supported_premises(ana, address="1 rue Un")
    second = supported_premises(ana, address="2 rue Deux")
    let(first)
    now = utcnow()

    with smtp_server(port) as inbox:
        notifications.send_digests(app_settings(), now)
        let(second)
        later_today = notifications.send_digests(app_settings(), now + timedelta(minutes=5))
        tomorrow = notifications.send_digests(app_settings(), now + timedelta(days=1))

    assert (later_today.digests, later_today.waiting) == (0, 1)
    assert tomorrow.digests == 1
    assert ["1 rue Un" in text_of(e) for e in inbox.messages] == [True, False]
    assert "2 rue Deux" in text_of(inbox.messages[1])


def test_a_person_who_turned_them_off_gets_nothing(smtp_app, port):
    ana = factories.make_user(locale="en")
    premises = supported_premises(ana)
    notifications.set_preferences(ana, let=False, published=True, area=True, confirm=True)
    let(premises)

    with smtp_server(port) as inbox:
        run = notifications.send_digests(app_settings())

    assert inbox.messages == [] and (run.digests, run.dropped) == (0, 1)
    # Dropped, not kept for later: turning them on again does not send old news.
    assert db.session.scalar(select(Notification.sent_at)) is not None


def test_a_let_correction_tells_nobody_again(smtp_app, port):
    ana = factories.make_user(locale="en")
    premises = supported_premises(ana)
    let(premises)
    let(premises, code="shop=greengrocer")  # staff correct the type

    assert len(db.session.scalars(select(Notification)).all()) == 1


def test_the_digest_escapes_what_people_typed(smtp_app, port):
    ana = factories.make_user(locale="en", display_name="<b>Ana</b>")
    premises = supported_premises(ana, address="<script>x</script> rue")
    let(premises)

    with smtp_server(port) as inbox:
        notifications.send_digests(app_settings())

    (email,) = inbox.messages
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "<b>Ana</b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; rue" in html


def test_the_stop_link_works_without_signing_in_and_a_get_changes_nothing(smtp_app, port, client):
    ana = factories.make_user(locale="en")
    premises = supported_premises(ana)
    let(premises)
    with smtp_server(port) as inbox:
        notifications.send_digests(app_settings())
    (email,) = inbox.messages
    stop_url = html_of(email).find("a", string="Stop these e-mails")["href"]
    # RFC 8058: the mail client's one-click POST goes to the same address.
    assert email["List-Unsubscribe"].strip() == f"<{stop_url}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = stop_url.removeprefix("http://localhost")

    page = client.get(path, headers=ENGLISH)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the key stays out of Referers
    db.session.refresh(ana)
    assert ana.notify_let and ana.notify_published  # looking at the page stops nothing

    stopped = client.post(path, data={"List-Unsubscribe": "One-Click"}, headers=ENGLISH)
    assert stopped.status_code == 200
    assert "No more news of your wishes" in soup(stopped).get_text()
    db.session.refresh(ana)
    assert not ana.notify_let and not ana.notify_published


def test_a_stop_link_that_is_not_ours_is_a_404(client, app):
    assert client.get("/notifications/stop/not-a-key").status_code == 404
    assert client.post("/notifications/stop/not-a-key").status_code == 404


def test_a_resident_chooses_the_kinds_on_their_page(client, login_as):
    ana = login_as(Role.RESIDENT)

    page = soup(client.get("/me/notifications", headers=ENGLISH))
    boxes = {box["name"]: box.has_attr("checked") for box in page.select("input[type=checkbox]")}
    # All on until the person says otherwise (area news needs an area followed first).
    assert boxes == {"let": True, "published": True, "area": True, "confirm": True}
    assert page.select_one("label[for=let]").get_text() == "When a premises I supported is let"

    token = csrf_token(client, "/me/notifications")
    saved = client.post(
        "/me/notifications", data={"csrf_token": token, "published": "y"}, headers=ENGLISH
    )

    assert saved.status_code == 303
    db.session.refresh(ana)
    assert (ana.notify_let, ana.notify_published, ana.notify_area, ana.notify_confirm) == (
        False,
        True,
        False,
        False,
    )


def test_the_settings_page_asks_visitors_to_sign_in(client, app):
    response = client.get("/me/notifications")

    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_send_notifications_is_a_command(smtp_app, port, runner):
    ana = factories.make_user(locale="en")
    let(supported_premises(ana))

    with smtp_server(port) as inbox:
        result = runner.invoke(args=["send-notifications"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "0 old supports asked about.",
        "1 digest queued.",
        "1 e-mail sent.",
        "0 supports left unconfirmed stopped counting.",
    ]
    assert len(inbox.messages) == 1


def test_a_deleted_account_leaves_no_notification(smtp_app):
    ana = factories.make_user(locale="en")
    let(supported_premises(ana))
    assert db.session.scalars(select(Notification)).all()

    accounts.delete_account(ana, factories.PASSWORD)

    assert db.session.scalars(select(Notification)).all() == []


# Areas


def follow_spot(user, radius_m=500, latitude=48.8722, longitude=2.381):
    return notifications.follow_spot(user, latitude, longitude, radius_m, app_settings())


def add_premises(address: str, district_name: str, latitude=48.8722, longitude=2.381):
    moderator = factories.make_user(Role.MODERATOR)
    factories.make_district(district_name)
    db.session.commit()
    values = PremisesValues(
        address=address,
        city="Paris",
        district=district_name,
        latitude=latitude,
        longitude=longitude,
    )
    return management.create_premises(moderator, values)


def test_a_new_premises_near_a_followed_spot_is_news_and_a_far_one_is_not(smtp_app, port):
    ana = factories.make_user(locale="en")
    follow_spot(ana, radius_m=300)
    add_premises("4 rue Proche", "Belleville", latitude=48.8730)  # about 90 m away
    add_premises("9 rue Lointaine", "Belleville", latitude=48.8900)  # about 2 km away

    with smtp_server(port) as inbox:
        notifications.send_digests(app_settings())

    (email,) = inbox.messages
    text = text_of(email)
    assert "New empty premises in an area you follow: 4 rue Proche." in text
    assert "Lointaine" not in text


def test_a_followed_district_hears_of_its_premises_let(smtp_app, port):
    ana = factories.make_user(locale="en")
    premises = add_premises("7 rue du Quartier", "Jourdain")
    notifications.follow_district(ana, premises.district, app_settings())
    let(premises)

    with smtp_server(port) as inbox:
        notifications.send_digests(app_settings())

    (email,) = inbox.messages
    assert "Let in an area you follow: 7 rue du Quartier, now Bakery." in text_of(email)


def test_a_supporter_who_follows_the_area_hears_of_the_letting_once(smtp_app, port):
    ana = factories.make_user(locale="en")
    premises = supported_premises(ana)
    notifications.follow_district(ana, premises.district, app_settings())
    let(premises)

    kinds = [n.kind.value for n in db.session.scalars(select(Notification))]
    assert kinds == ["let"]


def test_an_import_tells_the_followers_of_its_new_premises(smtp_app, port):
    from wishboard.services.imports.premises import import_premises

    ana = factories.make_user(locale="en")
    factories.make_district("Belleville")
    db.session.commit()
    follow_spot(ana, radius_m=1000)
    data = (
        "reference,address,city,district,latitude,longitude\n"
        "IMP-1,1 rue Importée,Paris,Belleville,48.8725,2.3815\n"
    ).encode()

    report = import_premises(None, data, "premises.csv", bounds=app_settings().map_bounds)

    assert report.created == 1
    (news,) = db.session.scalars(select(Notification)).all()
    assert (news.user_id, news.kind.value) == (ana.id, "area_vacant")


def test_area_news_can_be_turned_off(smtp_app, port):
    ana = factories.make_user(locale="en")
    follow_spot(ana)
    notifications.set_preferences(ana, let=True, published=True, area=False, confirm=True)
    add_premises("4 rue Proche", "Belleville")

    assert db.session.scalars(select(Notification)).all() == []


def test_a_person_follows_a_few_areas_at_most(app):
    configure(app, WISHBOARD_MAX_FOLLOWED_AREAS=2)
    ana = factories.make_user()
    db.session.commit()
    follow_spot(ana)
    follow_spot(ana, radius_m=1000)

    with pytest.raises(notifications.FollowError) as refused, force_locale("en"):
        follow_spot(ana, radius_m=300)

    assert "the most there can be" in refused.value.message
    assert len(notifications.follows_of(ana)) == 2


@pytest.mark.parametrize(
    ("latitude", "radius_m", "field"),
    [(48.8722, 250, "radius"), (45.0, 500, "latitude")],
    ids=["a-radius-not-offered", "a-spot-outside-the-town"],
)
def test_a_spot_is_refused_with_its_reason(app, latitude, radius_m, field):
    ana = factories.make_user()
    db.session.commit()

    with pytest.raises(notifications.FollowError) as refused:
        follow_spot(ana, radius_m=radius_m, latitude=latitude)

    assert refused.value.field == field


def test_following_and_unfollowing_from_the_page_without_javascript(client, login_as):
    ana = login_as(Role.RESIDENT)
    district = factories.make_district("Belleville")
    db.session.commit()
    token = csrf_token(client, "/me/notifications")

    # From the map's popup: the spot tapped comes filled in.
    page = soup(client.get("/me/notifications?latitude=48.8722&longitude=2.381", headers=ENGLISH))
    assert page.select_one("#latitude")["value"] == "48.8722"

    spot = client.post(
        "/me/areas/spot",
        data={"csrf_token": token, "latitude": "48,8722", "longitude": "2.381", "radius": "300"},
        headers=ENGLISH,
    )
    assert spot.status_code == 303
    chosen = client.post(
        "/me/areas/district",
        data={"csrf_token": token, "district": str(district.id)},
        headers=ENGLISH,
    )
    assert chosen.status_code == 303
    again = client.post(
        "/me/areas/district",
        data={"csrf_token": token, "district": str(district.id)},
        headers=ENGLISH,
    )
    assert again.status_code == 422
    assert "You already follow Belleville." in soup(again).get_text()

    page = soup(client.get("/me/notifications", headers=ENGLISH))
    items = [li.get_text(" ", strip=True) for li in page.select(".follow-list li")]
    assert items[0].startswith("Within 300 m of 48.8722, 2.381")
    assert items[1].startswith("The district Belleville")

    first, _district = notifications.follows_of(ana)
    removed = client.post(f"/me/areas/{first.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert [follow.district_id for follow in notifications.follows_of(ana)] == [district.id]


def test_nobody_removes_someone_elses_area(client, login_as):
    other = factories.make_user()
    db.session.commit()
    theirs = follow_spot(other)
    login_as(Role.RESIDENT)
    token = csrf_token(client, "/me/notifications")

    response = client.post(f"/me/areas/{theirs.id}/remove", data={"csrf_token": token})

    assert response.status_code == 404
    assert notifications.follows_of(other) == [theirs]
