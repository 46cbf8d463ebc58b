"""Meeting the landlord: a project holder says "I'm interested", the landlord answers, and only
when both agree does each get the other's e-mail address (services/people/meetings.py)."""

import csv
import io
from datetime import date

from tests import factories
from tests.helpers import count, csrf_token, soup
from wishboard.extensions import db
from wishboard.models import (
    AuditEvent,
    LandlordAnswer,
    OutboxMessage,
    ProjectHorizon,
    ProjectInterest,
    ProjectVisibility,
    Role,
    ShopProject,
)
from wishboard.services.demand import stats
from wishboard.services.demand.opportunities import premises_for_project
from wishboard.services.people import meetings
from wishboard.services.premises import management
from wishboard.services.reports.links import report_key
from wishboard.settings import settings as app_settings

ENGLISH = {"Accept-Language": "en"}
LANDLORD_EMAIL = "gestion@fonciere-exemple.org"
HOLDER_EMAIL = "nadia.boulangere@exemple.org"


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def town():
    """A landlord's premises, a project holder whose bakery project suits it, and another."""
    district = factories.make_district("Belleville")
    landlord = factories.make_user(
        role=Role.LANDLORD, email=LANDLORD_EMAIL, display_name="Foncière Exemple"
    )
    place = factories.make_premises(district=district, surface_m2=80, landlord=landlord)
    elsewhere = factories.make_premises(district=factories.make_district("Jourdain"))
    holder = factories.make_user(
        role=Role.ENTREPRENEUR, email=HOLDER_EMAIL, display_name="Nadia Boulangère"
    )
    project = ShopProject(
        owner=holder,
        shop_type=factories.shop_type("shop=bakery"),
        surface_min_m2=50,
        surface_max_m2=100,
        horizon=ProjectHorizon.SOON,
        visibility=ProjectVisibility.LANDLORDS,
        districts=[district],
    )
    db.session.add(project)
    db.session.commit()
    return landlord, place, elsewhere, holder, project


def texts_of(client, urls) -> str:
    """Everything the pages and files at `urls` show, one string."""
    return "\n".join(client.get(url, headers=ENGLISH).get_data(as_text=True) for url in urls)


def mail_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(recipient=address)))


def test_no_address_leaks_until_both_agree_then_each_gets_the_other_s_once(app):
    landlord, place, _, holder, project = town()
    holder_client, landlord_client = app.test_client(), app.test_client()
    sign_in(holder_client, holder)
    sign_in(landlord_client, landlord)
    key = report_key(place, app_settings())

    # The holder finds the premises and says they are interested.
    found = soup(holder_client.get(f"/projects/{project.id}/premises", headers=ENGLISH))
    action = found.select_one(f"form[action$='/interest/{place.id}']")["action"]
    token = csrf_token(holder_client, "/projects/")
    assert holder_client.post(action, data={"csrf_token": token}).status_code == 303
    assert holder_client.post(action, data={"csrf_token": token}).status_code == 303  # twice
    interest = db.session.scalars(db.select(ProjectInterest)).one()
    (told,) = mail_to(LANDLORD_EMAIL)
    assert f"/landlord/premises/{place.id}/report?key=" in told.body_text

    def nothing_leaks() -> None:
        holder_side = texts_of(
            holder_client,
            ["/projects/", f"/projects/{project.id}/premises", f"/premises/{place.id}"],
        ) + holder_client.get("/me/data.json").get_data(as_text=True)
        landlord_side = texts_of(
            landlord_client,
            [
                f"/landlord/premises/{place.id}/report",
                f"/landlord/premises/{place.id}/report.csv",
                f"/landlord/premises/{place.id}/report?key={key}",
                "/landlord/",
            ],
        ) + landlord_client.get("/me/data.json").get_data(as_text=True)
        to_landlord = "\n".join(m.body_text + (m.body_html or "") for m in mail_to(LANDLORD_EMAIL))
        assert LANDLORD_EMAIL not in holder_side and "Foncière" not in holder_side
        for secret in (HOLDER_EMAIL, "Nadia"):
            assert secret not in landlord_side and secret not in to_landlord
        assert mail_to(HOLDER_EMAIL) == []

    nothing_leaks()
    report = soup(landlord_client.get(f"/landlord/premises/{place.id}/report", headers=ENGLISH))
    assert "Waiting for your answer." in report.select_one(".interest-answer").get_text()

    # "Not for us" through the signed link (a landlord without an account does the same).
    link_client = app.test_client()
    answer_url = f"/landlord/premises/{place.id}/interests/{interest.id}?key={key}"
    page = link_client.get(f"/landlord/premises/{place.id}/report?key={key}", headers=ENGLISH)
    link_token = soup(page).select_one("form.interest-actions input[name=csrf_token]")["value"]
    declined = link_client.post(answer_url, data={"csrf_token": link_token, "answer": "declined"})
    assert declined.status_code == 303
    nothing_leaks()
    status = soup(holder_client.get("/projects/", headers=ENGLISH)).select_one(".interest-list")
    assert "Not for them" in status.get_text()

    # The landlord changes their mind: "Let's talk". Each gets the other's address, once.
    for _ in range(2):
        link_client.post(answer_url, data={"csrf_token": link_token, "answer": "talk"})
    (to_holder,) = mail_to(HOLDER_EMAIL)
    introductions = [m for m in mail_to(LANDLORD_EMAIL) if m.dedup_key.startswith("introduction")]
    assert len(introductions) == 1
    assert LANDLORD_EMAIL in to_holder.body_text and "Foncière Exemple" in to_holder.body_text
    assert HOLDER_EMAIL in introductions[0].body_text
    db.session.refresh(interest)
    assert interest.answer is LandlordAnswer.TALK and interest.introduced_at is not None
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"interest.expressed", "interest.answered_by_link", "interest.introduced"} <= actions


def test_staff_read_the_interests_but_only_the_landlord_answers(app, client, login_as):
    _, place, _, holder, project = town()
    interest = meetings.express_interest(holder, project, place, app_settings())
    login_as(Role.MODERATOR)

    report = soup(client.get(f"/landlord/premises/{place.id}/report", headers=ENGLISH))
    assert report.select_one(".interest-actions") is None
    token = csrf_token(client, "/moderation/matches")
    response = client.post(
        f"/landlord/premises/{place.id}/interests/{interest.id}",
        data={"csrf_token": token, "answer": "talk"},
    )
    assert response.status_code == 403
    matches = soup(client.get("/moderation/matches", headers=ENGLISH))
    assert "Waiting for the landlord" in matches.select_one("tbody").get_text()


def test_a_holder_is_interested_only_in_premises_that_suit_their_own_project(app, client, login_as):
    _, place, elsewhere, _, project = town()
    intruder = login_as(Role.ENTREPRENEUR)
    token = csrf_token(client, "/projects/")

    theirs = client.post(f"/projects/{project.id}/interest/{place.id}", data={"csrf_token": token})
    assert theirs.status_code == 404
    own = ShopProject(
        owner=intruder,
        shop_type=factories.shop_type("shop=bakery"),
        horizon=ProjectHorizon.SOON,
        districts=[place.district],
    )
    db.session.add(own)
    db.session.commit()
    refused = client.post(
        f"/projects/{own.id}/interest/{elsewhere.id}", data={"csrf_token": token}, headers=ENGLISH
    )
    assert refused.status_code == 303 and count(ProjectInterest) == 0


def test_a_premises_let_to_the_project_s_type_asks_its_holder_whether_it_was_theirs(app, client):
    landlord, place, _, holder, project = town()
    meetings.express_interest(holder, project, place, app_settings())
    management.mark_let(landlord, place, factories.shop_type("shop=bakery"), date(2026, 12, 1))
    sign_in(client, holder)

    page = soup(client.get("/projects/", headers=ENGLISH))
    question = page.select_one("form.let-question")
    assert "Was it you?" in question.get_text()
    token = question.select_one("input[name=csrf_token]")["value"]
    answered = client.post(question["action"], data={"csrf_token": token, "theirs": "yes"})

    assert answered.status_code == 303
    assert stats.let_to_projects() == 1
    public = soup(client.get("/stats", headers=ENGLISH)).select_one(".stats-summary").get_text()
    assert "1 premises let to a shop project that met its landlord here" in public
    assert db.session.scalars(db.select(ProjectInterest)).one().let_was_theirs is True


def test_a_premises_let_to_another_type_asks_nobody(app):
    landlord, place, _, holder, project = town()
    interest = meetings.express_interest(holder, project, place, app_settings())

    management.mark_let(landlord, place, factories.shop_type("amenity=cafe"), date(2026, 12, 1))

    db.session.refresh(interest)
    assert interest.let_asked_at is None


def test_the_premises_that_suit_a_project_rank_where_its_type_is_wanted_and_missing(app):
    district = factories.make_district("Belleville")
    wanted_and_missing = factories.make_premises(district=district, surface_m2=60)
    wanted_but_present = factories.make_premises(
        district=district, surface_m2=60, latitude=48.880, longitude=2.390
    )
    quiet = factories.make_premises(district=district, surface_m2=70)
    too_big = factories.make_premises(district=district, surface_m2=400)
    factories.make_premises(district=factories.make_district("Jourdain"), surface_m2=60)
    for place in (wanted_and_missing, wanted_but_present, wanted_but_present):
        factories.make_support(place)
    factories.make_shop(
        latitude=48.8801, longitude=2.390, shop_type=factories.shop_type("shop=bakery")
    )
    project = ShopProject(
        owner=factories.make_user(role=Role.ENTREPRENEUR),
        shop_type=factories.shop_type("shop=bakery"),
        surface_min_m2=50,
        surface_max_m2=100,
        horizon=ProjectHorizon.SOON,
        districts=[district],
    )
    db.session.add(project)
    db.session.commit()

    ranked = premises_for_project(project, app_settings())

    assert [p.premises_id for p in ranked] == [
        wanted_and_missing.id,
        wanted_but_present.id,
        quiet.id,
    ]
    assert too_big.id not in [p.premises_id for p in ranked]
    assert [(p.supports, p.shops_near) for p in ranked] == [(1, 0), (2, 1), (0, 0)]


def test_the_landlord_s_csv_names_no_holder(app, client):
    _, place, _, holder, project = town()
    meetings.express_interest(holder, project, place, app_settings())
    key = report_key(place, app_settings())

    body = client.get(f"/landlord/premises/{place.id}/report.csv?key={key}").get_data(as_text=True)

    rows = list(csv.reader(io.StringIO(body)))
    assert rows and not any(HOLDER_EMAIL in cell or "Nadia" in cell for row in rows for cell in row)
