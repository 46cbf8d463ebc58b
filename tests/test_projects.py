"""Shop projects: people planning to open a shop describe what, how big, where and when; the
premises pages and the landlords' reports show the projects their holders chose to show."""

import pytest

from tests import factories
from tests.helpers import count, csrf_token, soup
from wishboard.extensions import db
from wishboard.models import ProjectHorizon, ProjectVisibility, Role, ShopProject, User
from wishboard.services.demand import wishes
from wishboard.services.people import projects, users
from wishboard.services.reports.links import report_key
from wishboard.settings import settings as app_settings

ENGLISH = {"Accept-Language": "en"}


def make_project(holder=None, district=None, **values) -> ShopProject:
    project = ShopProject(
        owner=holder or factories.make_user(role=Role.ENTREPRENEUR),
        shop_type=factories.shop_type(values.pop("code", "shop=bakery")),
        horizon=ProjectHorizon.SOON,
        districts=[district or factories.make_district("Belleville")],
        **values,
    )
    db.session.add(project)
    db.session.flush()
    return project


def test_a_person_signs_up_as_a_project_holder(client):
    token = csrf_token(client, "/auth/register")
    form = {
        "csrf_token": token,
        "email": "nadia@example.org",
        "display_name": "Nadia",
        "password": "a long and unusual passphrase 42",
        "confirm": "a long and unusual passphrase 42",
    }

    refused = client.post("/auth/register", data={**form, "role": "admin"}, headers=ENGLISH)
    assert refused.status_code == 422 and count(User) == 0
    response = client.post("/auth/register", data={**form, "role": "entrepreneur"})

    assert response.status_code == 303
    assert db.session.scalars(db.select(User)).one().role is Role.ENTREPRENEUR


def project_form(district_id: int, **overrides) -> dict[str, str]:
    return {
        "shop_type": "shop=bakery",
        "surface_min_m2": "40",
        "surface_max_m2": "120",
        "districts": str(district_id),
        "horizon": "soon",
        "pitch": "Pain au levain, ouvert 7 jours sur 7.",
        "visibility": "public",
    } | overrides


def test_a_holder_describes_changes_and_deletes_a_project(client, login_as):
    holder = login_as(Role.ENTREPRENEUR)
    district = factories.make_district("Jourdain")
    db.session.commit()
    token = csrf_token(client, "/projects/new")

    created = client.post("/projects/new", data={"csrf_token": token, **project_form(district.id)})

    assert created.status_code == 303 and created.headers["Location"] == "/projects/"
    project = db.session.scalars(db.select(ShopProject)).one()
    assert (project.owner_id, project.surface_min_m2, project.surface_max_m2) == (
        holder.id,
        40,
        120,
    )
    assert [d.name for d in project.districts] == ["Jourdain"]
    listed = soup(client.get("/projects/", headers=ENGLISH))
    assert "40 to 120 m²" in listed.select_one(".my-wish").get_text()

    changed = client.post(
        f"/projects/{project.id}/edit",
        data={"csrf_token": token, **project_form(district.id, visibility="private")},
    )
    assert changed.status_code == 303
    db.session.refresh(project)
    assert project.visibility is ProjectVisibility.PRIVATE

    deleted = client.post(f"/projects/{project.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and count(ShopProject) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"surface_min_m2": "200", "surface_max_m2": "100"}, "surface_max_m2", "cannot be larger"),
        ({"surface_min_m2": "0"}, "surface_min_m2", "between 1 and 10000"),
        ({"districts": ""}, "districts", "at least one district"),
        ({"districts": "999999"}, "districts", "not a valid choice"),
        ({"shop_type": "shop=unknown"}, "shop_type", "from the list"),
        ({"pitch": "x" * 501}, "pitch", "at most 500 characters"),
    ],
    ids=["min-over-max", "zero-surface", "no-district", "unknown-district", "type", "long-pitch"],
)
def test_a_project_with_a_mistake_says_what_to_fix(client, login_as, overrides, field, message):
    login_as(Role.ENTREPRENEUR)
    district = factories.make_district("Jourdain")
    db.session.commit()
    token = csrf_token(client, "/projects/new")

    response = client.post(
        "/projects/new",
        data={"csrf_token": token, **project_form(district.id, **overrides)},
        headers=ENGLISH,
    )

    assert response.status_code == 422
    errors = soup(response).select_one(f"#{field}-error").get_text()
    assert message in errors
    assert count(ShopProject) == 0


def test_a_holder_cannot_touch_another_holders_project(client, login_as):
    login_as(Role.ENTREPRENEUR)
    theirs = make_project()
    db.session.commit()
    token = csrf_token(client, "/projects/")

    assert client.get(f"/projects/{theirs.id}/edit").status_code == 404
    assert (
        client.post(f"/projects/{theirs.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert count(ShopProject) == 1


def test_the_premises_page_shows_public_projects_of_its_district_without_their_holder(client, app):
    district = factories.make_district("Belleville")
    place = factories.make_premises(district=district)
    db.session.commit()
    before = soup(client.get(f"/premises/{place.id}", headers=ENGLISH))
    assert before.select_one(".premises-projects") is None

    make_project(district=district, visibility=ProjectVisibility.PUBLIC)
    make_project(district=district, code="amenity=cafe", visibility=ProjectVisibility.PRIVATE)
    make_project(
        district=factories.make_district("Jourdain"),
        code="shop=cheese",
        visibility=ProjectVisibility.PUBLIC,
    )
    db.session.commit()
    page = client.get(f"/premises/{place.id}", headers=ENGLISH)

    items = [li.get_text() for li in soup(page).select(".premises-projects li")]
    assert items == ["A Bakery project is looking in Belleville."]
    html = page.get_data(as_text=True)
    holders = db.session.scalars(db.select(User).where(User.role == Role.ENTREPRENEUR))
    assert [holder.email for holder in holders if holder.email in html] == []


def test_the_landlord_report_shows_the_projects_that_suit_the_premises(client):
    district = factories.make_district("Belleville")
    place = factories.make_premises(district=district, surface_m2=80)
    make_project(
        district=district,
        surface_min_m2=50,
        surface_max_m2=100,
        pitch="Du bon pain",
        visibility=ProjectVisibility.LANDLORDS,
    )
    make_project(
        district=district,
        code="amenity=cafe",
        surface_min_m2=200,
        visibility=ProjectVisibility.PUBLIC,
    )  # too small a premises for it
    make_project(district=district, code="shop=cheese", visibility=ProjectVisibility.PRIVATE)
    db.session.commit()
    key = report_key(place, app_settings())

    page = client.get(f"/landlord/premises/{place.id}/report?key={key}", headers=ENGLISH)

    items = [" ".join(li.get_text().split()) for li in soup(page).select(".project-item")]
    assert items == ["Bakery · Within six months · 50 to 100 m² Du bon pain"]
    html = page.get_data(as_text=True)
    holders = db.session.scalars(db.select(User).where(User.role == Role.ENTREPRENEUR))
    assert [holder.email for holder in holders if holder.email in html] == []


def test_a_resident_asks_to_become_a_project_holder_and_an_admin_grants_it(app, client, login_as):
    ana = login_as(Role.RESIDENT)
    token = csrf_token(client, "/me")

    asked = client.post("/me/project-holder", data={"csrf_token": token}, headers=ENGLISH)

    assert asked.status_code == 303
    db.session.refresh(ana)
    assert ana.project_role_asked_at is not None
    assert projects.askers() == [ana]
    admin = factories.make_user(role=Role.ADMIN)
    db.session.commit()
    users.change_role(admin, ana, Role.ENTREPRENEUR)
    db.session.refresh(ana)
    assert ana.role is Role.ENTREPRENEUR and ana.project_role_asked_at is None
    assert projects.askers() == []
    # A project holder no longer wishes: their own project's type would count twice.
    assert wishes.barrier_for(ana) is wishes.Barrier.ROLE


def test_the_admin_sees_who_asks_to_become_a_project_holder(client, login_as):
    asker = factories.make_user(display_name="Nadia Asker")
    projects.ask_for_role(asker)
    login_as(Role.ADMIN)

    page = soup(client.get("/admin/users", headers=ENGLISH))

    assert "Nadia Asker" in page.select_one("#askers-title").find_parent("section").get_text()


def test_a_project_holder_is_taken_to_their_projects_after_signing_in(client):
    factories.make_user(role=Role.ENTREPRENEUR, email="nadia@example.org")
    db.session.commit()
    token = csrf_token(client, "/auth/login")

    response = client.post(
        "/auth/login",
        data={
            "csrf_token": token,
            "email": "nadia@example.org",
            "password": factories.PASSWORD,
        },
    )

    assert response.status_code == 303 and response.headers["Location"] == "/projects/"
