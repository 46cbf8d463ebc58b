"""Staff's shop pages: the list, the edit page and its contacts, the visibility list, its CSV, and
the correction requests."""

import csv
import io
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests import factories
from wishboard.extensions import db
from wishboard.models import (
    ContactOutcome,
    CorrectionStatus,
    Presence,
    Role,
    Shop,
    ShopContact,
    utcnow,
)
from wishboard.services.shops import visibility

HTMX = {"HX-Request": "true"}
NO = Presence.NO


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _token(client, url: str) -> str:
    return _soup(client.get(url)).select_one("input[name=csrf_token]")["value"]


@pytest.fixture
def moderator(client, login_as):
    """A signed-in moderator reading the site in English (the texts asserted below)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return login_as(Role.MODERATOR)


def _invisible(**overrides) -> Shop:
    """A shop known to have no online presence at all."""
    return factories.make_shop(has_website=NO, has_social=NO, on_map_service=NO, **overrides)


def _form_data(page: BeautifulSoup, form_selector: str) -> dict[str, str]:
    """The values a browser would send for the form as it is shown."""
    form = page.select_one(form_selector)
    data = {}
    for field in form.select("input[name], textarea[name]"):
        data[field["name"]] = field.get("value", "") if field.name == "input" else field.text
    for select_field in form.select("select[name]"):
        chosen = select_field.select_one("option[selected]") or select_field.select_one("option")
        data[select_field["name"]] = chosen["value"]
    return data


# The list


def test_staff_list_and_search_the_shops(client, moderator):
    belleville = factories.make_district("Belleville")
    factories.make_shop(name="Fromagerie Lou", district=belleville)
    _invisible(name="Atelier <b>Vélo</b>")
    db.session.commit()

    page = _soup(client.get("/moderation/shops"))
    rows = page.select("#staff-shops-results tbody tr")
    assert [row.th.get_text(strip=True) for row in rows] == [
        "Atelier <b>Vélo</b>",
        "Fromagerie Lou",
    ]
    assert page.select_one("#staff-shops-results b") is None  # names are text, never markup
    assert [row.select_one(".badge").get_text(strip=True) for row in rows] == [
        "No online presence",
        "Not known",
    ]
    lou = db.session.scalars(select(Shop).where(Shop.name == "Fromagerie Lou")).one()
    assert rows[1].th.a["href"] == f"/moderation/shops/{lou.id}"
    assert page.select_one(".staff-nav a[aria-current=page]")["href"] == "/moderation/shops"

    fragment = client.get("/moderation/shops?q=lou", headers=HTMX)
    assert "<html" not in fragment.get_data(as_text=True)
    found = _soup(fragment).select("tbody tr th")
    assert [cell.get_text(strip=True) for cell in found] == ["Fromagerie Lou"]

    narrowed = _soup(client.get("/moderation/shops?level=none"))
    assert [r.th.get_text(strip=True) for r in narrowed.select("tbody tr")] == [
        "Atelier <b>Vélo</b>"
    ]


def test_a_bad_filter_is_a_400_with_its_error(client, moderator):
    response = client.get("/moderation/shops?level=excellent")
    assert response.status_code == 400
    assert _soup(response).select_one(".error-summary a[href='#filter-level']") is not None


# One shop


def test_the_edit_page_shows_the_shop_its_level_and_its_contacts(client, moderator):
    shop = _invisible(name="Cordonnerie Ali", phone="01 42 00 00 00")
    colleague = factories.make_user(role=Role.MODERATOR, display_name="Inès")
    visibility.record_contact(
        colleague, shop, date(2025, 1, 10), ContactOutcome.NO_ANSWER, "Closed"
    )
    db.session.commit()

    page = _soup(client.get(f"/moderation/shops/{shop.id}"))
    assert page.h1.get_text(strip=True) == "Cordonnerie Ali"
    assert page.select_one("#name")["value"] == "Cordonnerie Ali"
    assert page.select_one("#has_website option[selected]")["value"] == "no"
    assert page.select_one(".staff-status .badge").get_text(strip=True) == "No online presence"
    history = page.select("#contacts .contact-history tbody tr")
    assert [cell.get_text(strip=True) for cell in history[0].select("td")][1:] == [
        "No answer",
        "Closed",
        "Inès",
    ]
    assert page.select_one("#contacted_on")["value"] == utcnow().date().isoformat()
    assert page.select_one(f"a[href='/shops/{shop.id}']") is not None


def test_a_missing_shop_is_a_404(client, moderator):
    assert client.get("/moderation/shops/999999").status_code == 404


def test_staff_edit_a_shop_and_its_presence(client, moderator):
    shop = _invisible(name="Cordonnerie Ali")
    db.session.commit()
    url = f"/moderation/shops/{shop.id}"
    data = _form_data(_soup(client.get(url)), "form.shop-form")
    data |= {"website": "ali.example.org", "on_map_service": "yes", "name": "Cordonnerie d'Ali"}

    response = client.post(url, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == url
    db.session.expire_all()
    assert shop.name == "Cordonnerie d'Ali"
    assert shop.website == "https://ali.example.org"
    assert shop.on_map_service is Presence.YES
    page = _soup(client.get(url))
    assert "Changes to Cordonnerie d'Ali saved." in page.select_one(".flash").get_text()
    assert page.select_one(".staff-status .badge").get_text(strip=True) == "Good"

    # The same values again: nothing to save, and the page says so.
    data = _form_data(page, "form.shop-form")
    client.post(url, data=data)
    assert "Nothing was changed." in _soup(client.get(url)).select_one(".flash").get_text()


def test_an_invalid_edit_is_shown_again_with_its_errors(client, moderator):
    shop = _invisible(name="Cordonnerie Ali")
    db.session.commit()
    url = f"/moderation/shops/{shop.id}"
    data = _form_data(_soup(client.get(url)), "form.shop-form")
    data |= {"name": "", "website": "javascript:alert(1)", "latitude": "north"}

    response = client.post(url, data=data)
    assert response.status_code == 422
    page = _soup(response)
    summary = [a["href"] for a in page.select(".error-summary a")]
    assert summary == ["#name", "#latitude"]  # the form's own checks come first
    assert page.select_one("#name")["aria-describedby"] == "name-error"
    db.session.expire_all()
    assert shop.name == "Cordonnerie Ali"

    data |= {"name": "Ali", "latitude": str(shop.latitude)}
    response = client.post(url, data=data)
    assert response.status_code == 422
    website = _soup(response).select_one("#website")
    assert website["aria-invalid"] == "true"
    assert "web address" in _soup(response).select_one("#website-error").get_text()
    db.session.expire_all()
    assert shop.website is None


def test_staff_record_a_contact(client, moderator):
    shop = _invisible(name="Cordonnerie Ali")
    db.session.commit()
    url = f"/moderation/shops/{shop.id}"
    token = _token(client, url)
    response = client.post(
        f"{url}/contacts",
        data={
            "csrf_token": token,
            "contacted_on": "2025-02-03",
            "outcome": "interested",
            "note": "Wants help with a map listing",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#contacts"
    contact = db.session.scalars(select(ShopContact)).one()
    assert (contact.contacted_on, contact.outcome, contact.staff_id) == (
        date(2025, 2, 3),
        ContactOutcome.INTERESTED,
        moderator.id,
    )
    cells = _soup(client.get(url)).select("#contacts tbody tr td")
    assert cells[1].get_text(strip=True) == "Interested"


def test_a_contact_in_the_future_is_refused_in_place(client, moderator):
    shop = _invisible()
    db.session.commit()
    url = f"/moderation/shops/{shop.id}"
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    response = client.post(
        f"{url}/contacts",
        data={
            "csrf_token": _token(client, url),
            "contacted_on": tomorrow,
            "outcome": "helped",
        },
    )
    assert response.status_code == 422
    page = _soup(response)
    assert page.select_one(".contact-form .error-summary a")["href"] == "#contacted_on"
    assert page.select_one("#contacted_on")["value"] == tomorrow
    assert db.session.scalars(select(ShopContact)).all() == []

    response = client.post(
        f"{url}/contacts",
        data={"csrf_token": _token(client, url), "contacted_on": "2025-01-01"},
    )
    assert response.status_code == 422
    assert _soup(response).select_one("#outcome")["aria-invalid"] == "true"


# Shops to contact


def test_the_visibility_list_shows_shops_to_contact_by_district(client, moderator):
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")
    zinc = _invisible(name="Zinc", district=jourdain)
    _invisible(name="Atelier", district=belleville)
    _invisible(name="Nowhere")
    factories.make_shop(name="Unknown", district=belleville)
    factories.make_shop(name="Visible", district=belleville, website="https://v.example.org")
    visibility.record_contact(None, zinc, date(2025, 3, 1), ContactOutcome.NOT_INTERESTED)
    db.session.commit()

    page = _soup(client.get("/moderation/visibility"))
    rows = page.select("#visibility-results tbody tr")
    assert [(r.td.get_text(strip=True), r.th.get_text(strip=True)) for r in rows] == [
        ("Belleville", "Atelier"),
        ("Jourdain", "Zinc"),
        ("No district", "Nowhere"),
    ]
    assert "Not interested" in rows[1].select_one(".last-contact").get_text()
    assert rows[0].select_one(".last-contact").get_text(strip=True) == "Never contacted"

    summary = page.select(".visibility-summary tbody tr")
    assert [r.th.get_text(strip=True) for r in summary] == ["Belleville", "Jourdain", "No district"]
    belleville_cells = [td.get_text(strip=True) for td in summary[0].select("td")]
    assert belleville_cells == ["1", "1", "0", "1", "3"]  # none, low, good, unknown, all
    link = summary[0].select_one("td a")["href"]
    assert link == f"/moderation/visibility?level=none&district={belleville.id}"

    only_jourdain = _soup(client.get(f"/moderation/visibility?district={jourdain.id}"))
    assert [
        r.th.get_text(strip=True) for r in only_jourdain.select("#visibility-results tbody tr")
    ] == ["Zinc"]
    unknown = _soup(client.get("/moderation/visibility?level=unknown", headers=HTMX))
    assert [r.th.get_text(strip=True) for r in unknown.select("tbody tr")] == ["Unknown"]
    assert unknown.select_one("h1") is None  # only the results, for htmx


def test_the_visibility_list_refuses_a_bad_district(client, moderator):
    response = client.get("/moderation/visibility?district=abc")
    assert response.status_code == 400
    assert _soup(response).select_one(".error-summary") is not None
    assert client.get("/moderation/visibility.csv?district=abc").status_code == 400


def test_the_visibility_page_runs_a_fixed_number_of_queries(client, moderator, count_queries):
    def queries_for(shops: int) -> int:
        for n in range(shops):
            shop = _invisible(district=factories.make_district(f"District {n % 4}"))
            visibility.record_contact(None, shop, date(2025, 1, 1), ContactOutcome.NO_ANSWER)
        db.session.commit()
        with count_queries() as queries:
            assert client.get("/moderation/visibility").status_code == 200
        return queries.count

    assert queries_for(2) == queries_for(12)


def test_the_shop_list_corrections_and_edit_page_run_a_fixed_number_of_queries(
    client, moderator, count_queries
):
    shop = _invisible()

    def queries_for(items: int) -> list[int]:
        for n in range(items):
            other = _invisible(district=factories.make_district(f"District {n % 3}"))
            factories.make_correction(other)
            staff = factories.make_user(role=Role.MODERATOR)
            visibility.record_contact(staff, shop, date(2025, 1, 1), ContactOutcome.HELPED)
        db.session.commit()
        counts = []
        for url in ("/moderation/shops", "/moderation/corrections", f"/moderation/shops/{shop.id}"):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.append(queries.count)
        return counts

    assert queries_for(2) == queries_for(12)


def test_the_csv_follows_the_filters(client, moderator):
    belleville = factories.make_district("Belleville")
    shop = _invisible(name="Atelier", district=belleville, phone="+33 1 42 00 00 00")
    _invisible(name="Elsewhere")
    visibility.record_contact(None, shop, date(2025, 3, 1), ContactOutcome.HELPED, "Sent guide")
    db.session.commit()

    response = client.get(f"/moderation/visibility.csv?district={belleville.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["name"] for row in rows] == ["Atelier"]
    assert rows[0]["phone"] == "'+33 1 42 00 00 00"  # neutralised: no formula
    assert (rows[0]["last_contact_outcome"], rows[0]["last_contact_note"]) == (
        "helped",
        "Sent guide",
    )

    everything = client.get("/moderation/visibility.csv?level=all")
    assert len(list(csv.DictReader(io.StringIO(everything.get_data(as_text=True))))) == 2
    page = _soup(client.get(f"/moderation/visibility?district={belleville.id}"))
    download = page.select_one("a[download]")["href"]
    assert download == f"/moderation/visibility.csv?district={belleville.id}"


# Corrections


def test_staff_see_and_handle_correction_requests(client, moderator):
    shop = factories.make_shop(name="Fromagerie Lou")
    correction = factories.make_correction(shop, message="<script>x</script> Closed Mondays")
    other = factories.make_correction(message="Wrong phone")
    factories.make_correction(status=CorrectionStatus.DONE)
    db.session.commit()

    page = _soup(client.get("/moderation/corrections"))
    nav = page.select_one(".staff-nav a[href='/moderation/corrections']")
    assert nav.get_text(strip=True) == "Corrections (2)"
    items = page.select(".correction")
    assert len(items) == 2
    assert items[0].select_one("blockquote").get_text() == "<script>x</script> Closed Mondays"
    assert items[0].select_one("script") is None
    assert items[0].select_one("h3 a")["href"] == f"/moderation/shops/{shop.id}"

    token = page.select_one("input[name=csrf_token]")["value"]
    response = client.post(
        f"/moderation/corrections/{correction.id}/done", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/corrections"
    response = client.post(
        f"/moderation/corrections/{other.id}/dismiss", data={"csrf_token": token}
    )
    db.session.expire_all()
    assert correction.status is CorrectionStatus.DONE
    assert other.status is CorrectionStatus.DISMISSED
    assert other.handled_by_id == moderator.id

    page = _soup(client.get("/moderation/corrections"))
    assert page.select(".correction") == []
    assert page.select_one(".staff-nav a[href='/moderation/corrections']").get_text(strip=True) == (
        "Corrections"
    )

    # Handled already (by someone else, say): nothing changes and the page says so.
    client.post(f"/moderation/corrections/{other.id}/done", data={"csrf_token": token})
    page = _soup(client.get("/moderation/corrections"))
    assert "already handled" in page.select_one(".flash").get_text()
    db.session.expire_all()
    assert other.status is CorrectionStatus.DISMISSED


def test_with_htmx_a_handled_request_says_so_in_place(client, moderator):
    correction = factories.make_correction(message="Closed on Mondays")
    db.session.commit()
    token = _token(client, "/moderation/corrections")
    url = f"/moderation/corrections/{correction.id}/dismiss"

    response = client.post(url, data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 200
    item = _soup(response)
    assert "<html" not in response.get_data(as_text=True)
    assert item.select_one("li.correction")["id"] == f"correction-{correction.id}"
    assert item.select_one("[role=status]").get_text(strip=True) == "Request dismissed."
    assert item.select("form") == []

    response = client.post(url, data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 409
    notice = _soup(response).select_one("[role=status]").get_text(strip=True)
    assert notice == "This request was already handled by someone else."


def test_a_correction_action_without_its_token_changes_nothing(client, moderator):
    correction = factories.make_correction()
    db.session.commit()
    response = client.post(f"/moderation/corrections/{correction.id}/done")
    assert response.status_code == 400
    db.session.expire_all()
    assert correction.status is CorrectionStatus.OPEN


def test_shop_events_appear_in_the_audit_log_with_their_shop(client, moderator):
    shop = _invisible(name="Cordonnerie Ali")
    visibility.record_contact(moderator, shop, date(2025, 1, 2), ContactOutcome.HELPED)
    db.session.commit()
    page = _soup(client.get("/moderation/audit"))
    link = page.select_one(f"a[href='/moderation/shops/{shop.id}']")
    assert link is not None and link.get_text(strip=True) == "Cordonnerie Ali"
    assert "Shop contacted about its visibility" in page.get_text()


@pytest.mark.parametrize(
    "value", ["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "9" * 30, "%_", "-1", "é\u0301"]
)
def test_hostile_query_values_are_refused_or_searched_as_text(client, moderator, value):
    factories.make_shop(name="Fromagerie")
    db.session.commit()
    for url in ("/moderation/shops", "/moderation/visibility", "/moderation/visibility.csv"):
        for name in ("q", "district", "level", "page"):
            response = client.get(url, query_string={name: value})
            assert response.status_code in (200, 400, 404), (url, name)
            assert "<script>alert" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "sees_admin_links"), [("moderator", False), ("admin", True)])
def test_the_staff_menu_shows_the_admin_pages_to_admins_only(
    client, login_as, role: str, sees_admin_links: bool
):
    login_as(Role(role))
    nav = _soup(client.get("/moderation/shops")).select_one(".staff-nav")

    links = {link["href"] for link in nav.select("a")}
    assert "/moderation/shops" in links
    admin_pages = {"/admin/users", "/admin/shop-types"}
    assert links & admin_pages == (admin_pages if sees_admin_links else set())
