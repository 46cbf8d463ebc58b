"""Moderators' premises pages: the list, the form with its map, status changes and the import."""

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests import factories
from tests.helpers import count, soup
from wishboard.extensions import db
from wishboard.models import AuditEvent, Premises, PremisesStatus, Role

DATA = Path(__file__).parent / "data"
ENGLISH = {"Accept-Language": "en"}
HTMX = {**ENGLISH, "HX-Request": "true"}


@pytest.fixture
def moderator(login_as):
    user = login_as(Role.MODERATOR)
    factories.make_district("Belleville")
    factories.make_district("Jourdain")
    db.session.commit()
    return user


def csrf(client, url: str = "/moderation/premises/new") -> str:
    return soup(client.get(url, headers=ENGLISH)).select_one("input[name=csrf_token]")["value"]


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def form_data(client, **overrides) -> dict[str, str]:
    return {
        "csrf_token": csrf(client),
        "address": "12 rue de Belleville",
        "postcode": "75019",
        "city": "Paris",
        "district": "Belleville",
        "latitude": "48.8722",
        "longitude": "2.3810",
        "surface_m2": "45",
        "reference": "BEL-001",
        "landlord_name": "Marie Dupont",
        "landlord_email": "marie@example.org",
        "notes": "",
        **overrides,
    }


# The list


def test_the_list_shows_every_premises_with_its_status(client, moderator):
    factories.make_premises(address="1 rue Piat", reference="PIAT-1")
    factories.make_premises(address="2 rue Piat", status=PremisesStatus.WITHDRAWN)
    db.session.commit()

    page = soup(client.get("/moderation/premises", headers=ENGLISH))

    rows = page.select("table.staff-table tbody tr")
    assert [row.select_one("th a").get_text() for row in rows] == ["1 rue Piat", "2 rue Piat"]
    assert [row.select_one(".status").get_text() for row in rows] == ["Vacant", "Withdrawn"]
    assert page.select_one("table caption") is not None
    assert page.select_one("#staff-results-title").get_text(strip=True) == "2 premises"
    link = rows[0].select_one("th a")["href"]
    assert link.endswith("/edit")
    actions = [a["href"] for a in page.select(".page-actions a")]
    assert actions == ["/moderation/premises/new", "/moderation/premises/import"]


def test_the_list_searches_and_filters(client, moderator):
    jourdain = factories.make_district("Jourdain")
    factories.make_premises(address="1 rue Piat")
    factories.make_premises(address="3 rue du Jourdain", district=jourdain, reference="J-7")
    factories.make_premises(address="5 rue Piat", status=PremisesStatus.WITHDRAWN)
    db.session.commit()

    def addresses(query: str) -> list[str]:
        page = soup(client.get(f"/moderation/premises?{query}", headers=ENGLISH))
        return [a.get_text() for a in page.select("tbody th a")]

    assert addresses("q=piat") == ["1 rue Piat", "5 rue Piat"]
    assert addresses("q=J-7") == ["3 rue du Jourdain"]
    assert addresses("status=withdrawn") == ["5 rue Piat"]
    assert addresses(f"district={jourdain.id}") == ["3 rue du Jourdain"]
    assert addresses("q=nowhere") == []
    page = soup(client.get("/moderation/premises?q=nowhere", headers=ENGLISH))
    assert "No premises matches this search." in page.select_one("#staff-premises-results").text


def test_the_list_is_paginated_and_htmx_gets_the_results_only(app, client, moderator):
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    for n in range(5):
        factories.make_premises(address=f"{n} rue Piat")
    db.session.commit()

    page = soup(client.get("/moderation/premises?page=3", headers=ENGLISH))
    fragment = client.get("/moderation/premises?page=2", headers=HTMX)

    assert [a.get_text() for a in page.select("tbody th a")] == ["4 rue Piat"]
    assert page.select_one(".pagination a[rel=prev]")["href"] == "/moderation/premises?page=2"
    assert "<html" not in fragment.get_data(as_text=True)
    assert [a.get_text() for a in soup(fragment).select("tbody th a")] == [
        "2 rue Piat",
        "3 rue Piat",
    ]
    assert "HX-Request" in fragment.headers["Vary"]
    assert client.get("/moderation/premises?page=9", headers=ENGLISH).status_code == 404
    assert client.get("/moderation/premises?page=x", headers=ENGLISH).status_code == 404


def test_a_bad_filter_is_a_400_with_its_error(client, moderator):
    response = client.get("/moderation/premises?status=demolished", headers=ENGLISH)

    assert response.status_code == 400
    assert "Choose a status from the list." in soup(response).select_one(".error-summary").text


# Creating


def test_the_new_premises_form_has_typed_fields_and_a_map(client, moderator):
    page = soup(client.get("/moderation/premises/new", headers=ENGLISH))

    for name in ("latitude", "longitude"):
        field = page.select_one(f"input#{name}")
        assert field["type"] == "text" and field["inputmode"] == "decimal"
        assert page.select_one(f"label[for={name}]") is not None
    picker = page.select_one(".picker[hidden] [data-map-var][data-picker-latitude=latitude]")
    assert picker["role"] == "region" and picker["aria-label"]
    assert page.select_one("#picker-status[role=status]") is not None
    # Without the cache-busting query the static files may carry.
    scripts = [script["src"].split("?")[0] for script in page.select("script[src]")]
    assert "/static/js/position_picker.js" in scripts
    assert "/static/vendor/leaflet/leaflet.js" in scripts
    districts = [option["value"] for option in page.select("select#district option")]
    assert districts == ["", "Belleville", "Jourdain"]


def test_creating_a_premises(client, moderator):
    response = client.post(
        "/moderation/premises/new",
        data=form_data(client, latitude="48,8722", longitude=" 2,381 "),
        headers=ENGLISH,
    )

    assert response.status_code == 303
    premises = db.session.scalars(select(Premises)).one()
    assert response.headers["Location"] == f"/moderation/premises/{premises.id}/edit"
    assert (premises.latitude, premises.longitude) == (48.8722, 2.381)  # commas accepted
    assert premises.district.name == "Belleville"
    assert flashes(client) == [("success", "Premises 12 rue de Belleville created.")]
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id) == ("premises.created", moderator.id)


def test_a_form_with_errors_comes_back_with_422(client, moderator):
    response = client.post(
        "/moderation/premises/new",
        data=form_data(client, address="", latitude="north", district="Atlantide"),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    page = soup(response)
    summary = [a["href"] for a in page.select(".error-summary a")]
    assert summary == ["#address", "#district", "#latitude"]
    latitude = page.select_one("input#latitude")
    assert latitude["aria-invalid"] == "true"
    assert page.select_one(f"#{latitude['aria-describedby']}").get_text(strip=True) == (
        "Enter a latitude as a decimal number, such as 48.8765."
    )
    assert page.select_one("input#address")["value"] == ""
    assert page.select_one("input#reference")["value"] == "BEL-001"  # what was typed stays
    assert count(Premises) == 0


def test_the_rules_of_the_service_show_beside_their_fields(client, moderator):
    factories.make_premises(reference="BEL-001")
    db.session.commit()

    response = client.post(
        "/moderation/premises/new",
        data=form_data(client, latitude="45.7640", landlord_email="not-an-address"),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    page = soup(response)
    errors = {
        name: page.select_one(f"#{name}-error").get_text(" ", strip=True)
        for name in ("reference", "latitude", "landlord_email")
    }
    assert "already has the reference" in errors["reference"]
    assert "outside the town" in errors["latitude"]
    assert "valid e-mail address" in errors["landlord_email"]
    assert count(Premises) == 1 and count(AuditEvent) == 0


# Editing


def test_the_edit_form_is_filled_and_shows_the_landlord_link(client, moderator):
    landlord = factories.make_user(role=Role.LANDLORD, email="owner@example.org")
    premises = factories.make_premises(
        address="8 rue de Meaux", landlord_email="owner@example.org", landlord_id=landlord.id
    )
    db.session.commit()

    page = soup(client.get(f"/moderation/premises/{premises.id}/edit", headers=ENGLISH))

    assert page.select_one("h1").get_text() == "8 rue de Meaux"
    assert page.select_one("input#address")["value"] == "8 rue de Meaux"
    assert page.select_one("input#latitude")["value"] == "48.872"
    assert page.select_one("select#district option[selected]")["value"] == "Belleville"
    assert landlord.display_name in page.select_one(".landlord-link").get_text()


def test_editing_saves_the_changes_and_audits_them(client, moderator):
    premises = factories.make_premises(address="8 rue de Meaux", surface_m2=60)
    db.session.commit()
    url = f"/moderation/premises/{premises.id}/edit"
    data = form_data(
        client,
        address="8 rue de Meaux",
        reference=premises.reference,
        latitude="48.872",
        longitude="2.381",
        surface_m2="75",
        landlord_name="",
        landlord_email="",
    )

    response = client.post(url, data=data, headers=ENGLISH)

    assert response.status_code == 303
    assert response.headers["Location"] == url
    assert flashes(client) == [("success", "Changes to 8 rue de Meaux saved.")]
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.before, event.after) == (
        "premises.updated",
        {"surface_m2": 60},
        {"surface_m2": 75},
    )

    again = client.post(url, data={**data, "csrf_token": csrf(client)}, headers=ENGLISH)

    assert again.status_code == 303
    assert flashes(client)[-1] == ("info", "Nothing was changed.")
    assert count(AuditEvent) == 1


def test_editing_with_errors_is_a_422(client, moderator):
    premises = factories.make_premises()
    db.session.commit()

    response = client.post(
        f"/moderation/premises/{premises.id}/edit",
        data=form_data(client, surface_m2="-5", city=""),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    page = soup(response)
    assert {a["href"] for a in page.select(".error-summary a")} == {"#city", "#surface_m2"}
    assert count(AuditEvent) == 0


def test_an_unknown_premises_is_a_404(client, moderator):
    assert client.get("/moderation/premises/999/edit").status_code == 404
    assert client.get("/moderation/premises/999/let").status_code == 404


# Status


def test_withdrawing_and_reopening(client, moderator):
    premises = factories.make_premises()
    db.session.commit()
    url = f"/moderation/premises/{premises.id}"
    token = csrf(client, f"{url}/edit")

    withdrawn = client.post(f"{url}/withdraw", data={"csrf_token": token}, headers=ENGLISH)

    assert withdrawn.status_code == 303 and withdrawn.headers["Location"] == f"{url}/edit"
    assert premises.status is PremisesStatus.WITHDRAWN
    assert flashes(client)[0][0] == "success"
    page = soup(client.get(f"{url}/edit", headers=ENGLISH))
    buttons = [button.get_text() for button in page.select(".status-actions button")]
    assert buttons == ["Make vacant again"]

    twice = client.post(f"{url}/withdraw", data={"csrf_token": token}, headers=ENGLISH)

    assert twice.status_code == 303
    assert flashes(client)[-1] == ("error", "This premises is already withdrawn.")

    client.post(f"{url}/reopen", data={"csrf_token": token}, headers=ENGLISH)
    assert premises.status is PremisesStatus.VACANT
    actions = [event.action for event in db.session.scalars(select(AuditEvent))]
    assert actions == ["premises.withdrawn", "premises.reopened"]


def test_a_status_change_needs_the_csrf_token(client, moderator):
    premises = factories.make_premises()
    db.session.commit()

    response = client.post(f"/moderation/premises/{premises.id}/withdraw", headers=ENGLISH)

    assert response.status_code == 400
    assert premises.status is PremisesStatus.VACANT


def test_marking_a_premises_as_let(client, moderator):
    premises = factories.make_premises()
    db.session.commit()
    url = f"/moderation/premises/{premises.id}/let"
    page = soup(client.get(url, headers=ENGLISH))
    groups = page.select("select#shop_type optgroup")
    assert groups and groups[0].select("option")
    assert page.select_one("input#let_on")["type"] == "date"

    response = client.post(
        url,
        data={"csrf_token": csrf(client, url), "shop_type": "shop=books", "let_on": "2024-03-01"},
        headers=ENGLISH,
    )

    assert response.status_code == 303
    assert (premises.status, premises.let_shop_type.code, premises.let_on) == (
        PremisesStatus.LET,
        "shop=books",
        date(2024, 3, 1),
    )
    edit = soup(client.get(f"/moderation/premises/{premises.id}/edit", headers=ENGLISH))
    assert "Let to a Bookshop since March 1, 2024." in edit.select_one(".staff-status").text


def test_marking_as_let_without_a_type_or_when_withdrawn_is_a_422(client, moderator):
    premises = factories.make_premises(status=PremisesStatus.WITHDRAWN)
    db.session.commit()
    url = f"/moderation/premises/{premises.id}/let"
    token = csrf(client, url)

    missing = client.post(url, data={"csrf_token": token, "let_on": "2024-03-01"}, headers=ENGLISH)
    withdrawn = client.post(
        url,
        data={"csrf_token": token, "shop_type": "shop=books", "let_on": "2024-03-01"},
        headers=ENGLISH,
    )

    assert missing.status_code == 422
    assert soup(missing).select_one("#shop_type-error").get_text(strip=True) == (
        "Choose a shop type from the list."
    )
    assert withdrawn.status_code == 422
    summary = soup(withdrawn).select_one(".error-summary").get_text(" ", strip=True)
    assert "A withdrawn premises cannot be marked as let." in summary
    assert premises.status is PremisesStatus.WITHDRAWN and count(AuditEvent) == 0


# Import


def upload(client, name: str, content: bytes | None = None, button: str = "run", **extra):
    data = {
        "csrf_token": csrf(client, "/moderation/premises/import"),
        "file": (io.BytesIO(content if content is not None else (DATA / name).read_bytes()), name),
        button: "x",
        **extra,
    }
    return client.post(
        "/moderation/premises/import",
        data=data,
        content_type="multipart/form-data",
        headers=ENGLISH,
    )


def test_the_import_page_documents_the_columns(client, moderator):
    page = soup(client.get("/moderation/premises/import", headers=ENGLISH))

    form = page.select_one("form[enctype='multipart/form-data']")
    assert form.select_one("input#file[type=file]") is not None
    # The safe button first (Enter presses it) and quieter; the one that writes is the main one.
    buttons = form.select("button[type=submit]")
    assert [(button["name"], button.get_text(strip=True)) for button in buttons] == [
        ("check", "Check only"),
        ("run", "Import"),
    ]
    assert "button-secondary" in buttons[0]["class"]
    assert "button-secondary" not in buttons[1]["class"]
    columns = [code.get_text() for code in page.select("table code")]
    assert columns[:3] == ["reference", "address", "postcode"]
    assert "5 MB" in page.select_one("#file-hint").get_text()


def test_importing_a_good_file(client, moderator):
    response = upload(client, "premises_good.csv")

    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/premises/import"
    assert flashes(client) == [("success", "Import done: 3 created, 0 updated, 0 unchanged.")]
    assert count(Premises) == 3
    summary = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "premises.imported")
    ).one()
    assert summary.actor_id == moderator.id


def test_an_import_that_loses_a_race_for_a_reference_writes_nothing(client, moderator, monkeypatch):
    token = csrf(client, "/moderation/premises/import")
    real_commit = db.session.commit

    def lost_race():
        monkeypatch.setattr(db.session, "commit", real_commit)
        raise IntegrityError("INSERT INTO premises", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(db.session, "commit", lost_race)

    response = client.post(
        "/moderation/premises/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO((DATA / "premises_good.csv").read_bytes()), "premises.csv"),
            "run": "x",
        },
        content_type="multipart/form-data",
        headers=ENGLISH,
    )

    assert response.status_code == 409
    summary = soup(response).select_one(".error-summary").get_text(" ", strip=True)
    assert "nothing was imported" in summary
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_checking_a_good_file_writes_nothing(client, moderator):
    response = upload(client, "premises_good.geojson", button="check")

    assert response.status_code == 200
    report = soup(response).select_one(".import-report")
    assert "2 created, 0 updated, 0 unchanged." in report.get_text()
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_importing_a_bad_file_lists_every_problem_and_writes_nothing(client, moderator):
    response = upload(client, "premises_bad.csv")

    assert response.status_code == 422
    report = soup(response).select_one(".import-report[role=alert]")
    assert report.select_one("h2").get_text() == "7 problems: nothing was imported"
    items = [li.get_text() for li in report.select("li")]
    assert items[0] == "line 3: “latitude”: “quarante-huit” is not a decimal number."
    assert items[-1] == "line 9: the reference “BAD-001” is already on line 2."
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_importing_a_file_in_another_encoding(client, moderator):
    response = upload(client, "premises_latin1.csv")

    assert response.status_code == 422
    assert "not in UTF-8: line 3" in soup(response).select_one(".import-report").get_text()
    assert count(Premises) == 0


def test_a_file_that_is_not_csv_or_geojson(client, moderator):
    by_name = upload(client, "premises.xlsx", b"PK\x03\x04\x14\x00")
    by_content = upload(client, "premises.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    assert by_name.status_code == 422
    assert soup(by_name).select_one("#file-error").get_text(strip=True) == (
        "Send a CSV file (.csv) or a GeoJSON file (.geojson or .json)."
    )
    assert by_content.status_code == 422
    assert "not a CSV or GeoJSON file" in soup(by_content).select_one(".import-report").text
    assert count(Premises) == 0


def test_an_upload_without_a_file(client, moderator):
    response = client.post(
        "/moderation/premises/import",
        data={"csrf_token": csrf(client, "/moderation/premises/import"), "run": "x"},
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert soup(response).select_one("#file-error").get_text(strip=True) == "Choose a file to send."


def test_unknown_districts_are_created_when_asked(client, moderator):
    content = (
        "reference,address,city,district,latitude,longitude\n"
        "N-1,1 rue Neuve,Paris,Ménilmontant,48.869,2.389\n"
    ).encode()

    refused = upload(client, "new.csv", content)
    created = upload(client, "new.csv", content, create_districts="y")

    assert refused.status_code == 422
    assert created.status_code == 303
    assert db.session.scalars(select(Premises)).one().district.name == "Ménilmontant"


@pytest.mark.parametrize(("language", "words"), [("en", "at most 1 KB"), ("fr", None)])
def test_a_file_too_large_is_a_clear_413(app, client, moderator, language, words):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    token = csrf(client, "/moderation/premises/import")

    response = client.post(
        "/moderation/premises/import",
        data={"csrf_token": token, "run": "x", "file": (io.BytesIO(b"x" * 4096), "big.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": language},
    )

    assert response.status_code == 413
    page = soup(response)
    assert page.select_one("html")["lang"] == language
    alert = page.select_one(".error-summary[role=alert]")
    assert alert is not None
    if words:
        assert words in alert.get_text()
    assert page.select_one("input#file[type=file]") is not None  # the form, to try again
    assert count(Premises) == 0


def test_a_413_elsewhere_in_moderation_is_the_usual_error_page(app, client, moderator):
    app.config["MAX_CONTENT_LENGTH"] = 10
    premises = factories.make_premises()
    db.session.commit()

    response = client.post(
        f"/moderation/premises/{premises.id}/withdraw",
        data={"csrf_token": "x" * 100},
        headers=ENGLISH,
    )

    assert response.status_code == 413
    assert soup(response).select_one(".error-page p").get_text() == "What you sent is too large."


def test_a_reference_taken_meanwhile_saves_nothing(client, moderator, monkeypatch):
    data = form_data(client)
    real_commit = db.session.commit

    def lost_race():
        # What the database says when another request committed the same reference first.
        monkeypatch.setattr(db.session, "commit", real_commit)
        raise IntegrityError("INSERT INTO premises", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(db.session, "commit", lost_race)

    response = client.post("/moderation/premises/new", data=data, headers=ENGLISH)

    assert response.status_code == 409
    summary = soup(response).select_one(".error-summary").get_text(" ", strip=True)
    assert "at the same time" in summary
    assert count(Premises) == 0 and count(AuditEvent) == 0
