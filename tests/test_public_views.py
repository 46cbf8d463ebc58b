"""Public pages: home and map, list of premises, one premises, language, health."""

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import soup
from wishboard import config, create_app
from wishboard.extensions import db
from wishboard.i18n import LANGUAGE_COOKIE
from wishboard.models import PremisesStatus
from wishboard.services.demand.counts import demand_by_premises, demand_for

ENGLISH = {"Accept-Language": "en"}


def supported(premises, **counts: int) -> None:
    """Give `premises` `count` supports for each shop type code (`shop__bakery=3`)."""
    for code, count in counts.items():
        for _ in range(count):
            factories.make_support(premises, code=code.replace("__", "="))


# Home page


def test_home_shows_intro_map_and_list_link(client: FlaskClient) -> None:
    response = client.get("/", headers=ENGLISH)
    page = soup(response)

    assert response.status_code == 200
    # The call to action first, then the map; what the site is comes after the map.
    assert page.select_one("h1").get_text(strip=True) == "What shop do you miss here?"
    sections = [section.get("class") for section in page.select("main > section")]
    assert sections == [["home-call"], ["map-section"], ["intro"]]
    # Without JavaScript there is no map: a note at the top says so and leads to the list.
    note = page.select_one(".home-call noscript")
    assert note.select_one("a.button")["href"] == "/premises"
    container = page.select_one("div.folium-map[data-geojson-url]")
    assert container["data-geojson-url"] == "/api/premises.geojson"
    assert container["role"] == "region" and container["aria-label"]
    assert container["tabindex"] == "0"
    assert page.select_one("#map-title").get_text(strip=True)
    list_links = [link.get_text(strip=True) for link in page.select('main a[href="/premises"]')]
    assert list_links == ["Choose a premises from the list", "See the premises as a list"]
    # Static URLs carry a version (?v=…): compare the paths.
    scripts = [tag["src"].split("?")[0] for tag in page.select("script[src]")]
    assert "/static/vendor/leaflet/leaflet.js" in scripts
    assert scripts.index("/static/js/map.js") > scripts.index("/static/vendor/leaflet/leaflet.js")
    assert not [src for src in scripts if src.startswith("http")]
    assert len(page.select(".map-legend li")) >= 4


# List of premises


def test_list_shows_vacant_premises_with_top_three_types(client: FlaskClient) -> None:
    busy = factories.make_premises(address="1 rue Curial", surface_m2=85)
    supported(busy, shop__bakery=4, shop__cheese=3, amenity__cafe=2, shop__books=1)
    quiet = factories.make_premises(address="2 rue Curial", surface_m2=None)
    factories.make_premises(
        address="3 rue Curial",
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 1, 1),
    )
    factories.make_premises(address="4 rue Curial", status=PremisesStatus.WITHDRAWN)
    db.session.commit()

    page = soup(client.get("/premises", headers=ENGLISH))

    rows = {
        row.select_one("th a").get_text(strip=True): row
        for row in page.select(".premises-table tbody tr")
    }
    assert set(rows) == {"1 rue Curial", "2 rue Curial"}
    busy_row = rows["1 rue Curial"]
    assert busy_row.select_one("th a")["href"] == f"/premises/{busy.id}"
    assert "85 m²" in busy_row.get_text()
    expected = demand_by_premises([busy.id])[busy.id][:3]
    shown = [
        (
            item.select_one(".type-name").get_text(strip=True),
            item.select_one(".support-count").get_text(),
        )
        for item in busy_row.select(".top-types li")
    ]
    assert shown == [(d.shop_type.label_en, f"{d.count} residents") for d in expected]
    assert shown[0] == ("Bakery", "4 residents")
    assert not rows["2 rue Curial"].select(".top-types li")
    assert quiet.id


def test_list_paginates(app: Flask, client: FlaskClient) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    for n in range(5):
        factories.make_premises(address=f"{n} rue de Crimée")
    db.session.commit()

    first = soup(client.get("/premises"))
    third = soup(client.get("/premises?page=3"))

    assert len(first.select(".premises-table tbody tr")) == 2
    assert first.select_one('.pagination a[rel="next"]')["href"] == "/premises?page=2"
    assert first.select_one('.pagination a[aria-current="page"]').get_text(strip=True) == "1"
    assert len(third.select(".premises-table tbody tr")) == 1
    assert third.select_one('.pagination a[rel="prev"]')["href"] == "/premises?page=2"
    assert third.select_one('.pagination a[rel="next"]') is None
    all_shown = [
        row.get_text(strip=True)
        for number in (1, 2, 3)
        for row in soup(client.get(f"/premises?page={number}")).select(".premises-table th a")
    ]
    assert sorted(all_shown) == sorted(f"{n} rue de Crimée" for n in range(5))


@pytest.mark.parametrize("page", ["0", "-1", "abc", "4", "99", "²", "١", "9" * 30])
def test_list_page_out_of_range_is_404(app: Flask, client: FlaskClient, page: str) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    for _ in range(5):
        factories.make_premises()
    db.session.commit()

    assert client.get(f"/premises?page={page}").status_code == 404


def test_empty_list_says_so(client: FlaskClient) -> None:
    response = client.get("/premises", headers=ENGLISH)

    assert response.status_code == 200
    assert soup(response).select_one(".premises-table") is None


def test_list_page_for_htmx_is_a_fragment(app: Flask, client: FlaskClient) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    for _ in range(3):
        factories.make_premises()
    db.session.commit()

    response = client.get("/premises?page=2", headers={"HX-Request": "true"})

    assert "<html" not in response.get_data(as_text=True)
    assert soup(response).select_one("section#premises-results")
    assert "HX-Request" in response.headers["Vary"]


def _make_vacant(count: int) -> None:
    district_names = ["Belleville", "Jourdain", "Crimée"]
    for n in range(count):
        premises = factories.make_premises(district=factories.make_district(district_names[n % 3]))
        supported(premises, shop__bakery=1, shop__cheese=n % 2)
    db.session.commit()


def test_list_runs_as_many_queries_for_30_premises_as_for_5(
    app: Flask, client: FlaskClient, count_queries
) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 50
    _make_vacant(5)
    with count_queries() as five:
        assert client.get("/premises").status_code == 200
    _make_vacant(25)
    with count_queries() as thirty:
        page = soup(client.get("/premises"))

    assert len(page.select(".premises-table tbody tr")) == 30
    assert thirty.count == five.count
    # The data version (the response cache), the filter form's choices (groups, their types,
    # districts), the page, its count, the demand and its shop types.
    assert five.count <= 8


# One premises


def test_premises_page_ranks_demand(client: FlaskClient) -> None:
    premises = factories.make_premises(address="7 rue de Meaux", surface_m2=42)
    supported(premises, shop__cheese=1, shop__bakery=3, amenity__cafe=2)
    db.session.commit()

    page = soup(client.get(f"/premises/{premises.id}", headers=ENGLISH))

    assert page.select_one("h1").get_text(strip=True) == "7 rue de Meaux"
    assert "42 m²" in page.select_one(".facts").get_text()
    assert page.select_one(".status-vacant")
    rows = page.select(".demand-list .demand-row")
    shown = [
        (
            row.select_one(".demand-type").get_text(" ", strip=True),
            row.select_one(".support-count").get_text(strip=True),
        )
        for row in rows
    ]
    assert shown == [
        (f"{n}. {d.shop_type.label_en}", f"{d.count} resident" + ("s" if d.count > 1 else ""))
        for n, d in enumerate(demand_for(premises), start=1)
    ]
    assert shown == [
        ("1. Bakery", "3 residents"),
        ("2. Café", "2 residents"),
        ("3. Cheese shop", "1 resident"),
    ]
    widths = [row.select_one(".bar span")["style"] for row in rows]
    assert widths[0] == "width: 100.0%" and widths[2] == "width: 33.3%"
    assert page.select_one("div.folium-map[role=region]")["aria-label"]
    # A plain wish form comes back to #wishes: the anchor holds the panel.
    assert page.select_one(f"#wishes > #premises-panel-{premises.id}")


def test_let_premises_says_what_and_since_when(client: FlaskClient) -> None:
    premises = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 15),
    )
    db.session.commit()

    text = soup(client.get(f"/premises/{premises.id}", headers=ENGLISH)).select_one(".facts")

    assert text.select_one(".status-let")
    assert "Bookshop" in text.get_text()
    assert "March 15, 2024" in text.get_text()


def test_premises_without_demand_says_so(client: FlaskClient) -> None:
    premises = factories.make_premises()
    db.session.commit()

    page = soup(client.get(f"/premises/{premises.id}"))

    assert page.select_one(".demand-list") is None
    assert page.select_one(f"#demand-title-{premises.id}")


def test_unknown_premises_is_404_in_french_by_default(client: FlaskClient) -> None:
    response = client.get("/premises/999")

    assert response.status_code == 404
    assert soup(response).select_one("html")["lang"] == "fr"


@pytest.mark.parametrize("premises_id", ["2147483648", "9" * 30])
def test_a_premises_id_too_large_for_the_database_is_404(
    client: FlaskClient, premises_id: str
) -> None:
    assert client.get(f"/premises/{premises_id}").status_code == 404


def test_unknown_premises_is_404_in_english_when_asked(client: FlaskClient) -> None:
    response = client.get("/premises/999", headers=ENGLISH)

    assert response.status_code == 404
    page = soup(response)
    assert page.select_one("html")["lang"] == "en"
    assert "This page does not exist" in page.get_text()


# Language


def test_language_link_sets_cookie_and_returns_to_the_page(client: FlaskClient) -> None:
    response = client.get("/language/en?next=/premises?page=2")

    assert response.status_code == 303
    assert response.headers["Location"] == "/premises?page=2"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    assert soup(client.get("/")).select_one("html")["lang"] == "en"

    client.get("/language/fr")
    assert soup(client.get("/", headers=ENGLISH)).select_one("html")["lang"] == "fr"


@pytest.mark.parametrize(
    "target", [None, "", "https://evil.example/", "//evil.example/", "/\\evil.example", "premises"]
)
def test_language_link_never_leaves_the_site(client: FlaskClient, target: str | None) -> None:
    query = "" if target is None else f"?next={target}"

    response = client.get(f"/language/en{query}")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_unknown_language_is_404(client: FlaskClient) -> None:
    response = client.get("/language/de")

    assert response.status_code == 404
    assert not [
        cookie
        for cookie in response.headers.getlist("Set-Cookie")
        if cookie.startswith(f"{LANGUAGE_COOKIE}=")
    ]


def test_header_language_links_point_back_to_the_page(client: FlaskClient) -> None:
    page = soup(client.get("/premises"))

    link = page.select_one('.language-switch a[hreflang="en"]')
    assert link["href"].startswith("/language/en?next=/premises")


# Health


def test_healthz_reports_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_reports_a_database_that_does_not_answer(tmp_path) -> None:
    unreachable = tmp_path / "missing-directory" / "wishboard.sqlite3"
    app = create_app(
        {**vars(config.TestingConfig()), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{unreachable}"}
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    with app.app_context():
        db.engine.dispose()


# The header's menu


@pytest.mark.parametrize(
    ("role", "own_link"),
    [
        (None, None),
        ("resident", ("/me/wishes", "My wishes")),
        ("landlord", ("/landlord/", "My premises")),
        ("moderator", ("/moderation/", "Moderation")),
        ("admin", ("/moderation/", "Moderation")),
    ],
)
def test_the_menu_offers_each_role_its_own_work_and_marks_the_page(
    client, login_as, role, own_link
):
    if role:
        login_as(role)

    page = soup(client.get("/stats", headers=ENGLISH))

    main = {link["href"]: link.get_text(strip=True) for link in page.select("nav.main-nav a")}
    assert main == {
        "/": "Map",
        "/premises": "Empty premises",
        "/shops": "Shops",
        "/gaps": "Gaps",
        "/opportunities": "Opportunities",
        "/stats": "Statistics",
    }
    assert [link["href"] for link in page.select("header a[aria-current=page]")] == ["/stats"]
    account = {link["href"]: link.get_text(strip=True) for link in page.select("nav.account-nav a")}
    if own_link is None:
        assert set(account) == {"/auth/login", "/auth/register"}
    else:
        assert account == dict([own_link, ("/me", "My account")])
    # The menu folds behind a button that needs no script: a <details> and its <summary>.
    assert page.select_one("header details.site-menu > summary.menu-button")
