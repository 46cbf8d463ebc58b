"""Findable: descriptions, canonical URLs and Open Graph per page, robots.txt, sitemap, icons."""

from datetime import date
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import pytest

from tests import factories
from tests.helpers import soup
from tests.test_access import ACCESS, OK
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.public import site_files_views

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _meta(page, **attrs) -> str:
    return page.find("meta", attrs=attrs)["content"]


def test_a_premises_page_shares_its_address_and_top_wishes(client):
    premises = factories.make_premises(address="12 rue Haxo")
    for _ in range(3):
        factories.make_support(premises, code="shop=bakery")
    factories.make_support(premises, code="amenity=cafe")
    db.session.commit()

    page = soup(client.get(f"/premises/{premises.id}", headers={"Accept-Language": "en"}))

    description = _meta(page, name="description")
    assert description.startswith(f"12 rue Haxo, {premises.district.name}.")
    assert description.endswith("Most wished for: Bakery (3), Café (1).")
    assert _meta(page, property="og:description") == description
    assert _meta(page, property="og:title") == "12 rue Haxo"
    assert _meta(page, property="og:type") == "website"
    url = f"http://localhost/premises/{premises.id}"
    assert _meta(page, property="og:url") == url
    assert page.select_one("link[rel=canonical]")["href"] == url


def test_an_address_that_looks_like_markup_stays_text_in_the_description(client):
    premises = factories.make_premises(address='<b class="x">12</b> rue "Haxo"')
    db.session.commit()

    page = soup(client.get(f"/premises/{premises.id}"))

    assert _meta(page, name="description").startswith('<b class="x">12</b> rue "Haxo"')
    assert page.select("head b") == []


def test_each_public_page_has_a_description_of_its_own(client):
    db.session.commit()
    paths = ["/", "/premises", "/shops", "/gaps", "/opportunities", "/stats", "/data"]

    descriptions = [_meta(soup(client.get(path)), name="description") for path in paths]

    assert all(descriptions) and len(set(descriptions)) == len(paths)


def test_a_district_list_has_its_own_title_and_description(client):
    district = factories.make_district("Belleville")
    factories.make_premises(district=district)
    db.session.commit()

    page = soup(client.get(f"/premises?district={district.id}", headers={"Accept-Language": "en"}))

    assert page.title.get_text().startswith("Empty premises in Belleville")
    assert "Belleville" in _meta(page, name="description")


def test_the_canonical_url_keeps_the_district_and_a_page_after_the_first_only(client):
    district = factories.make_district("Jourdain")
    for _ in range(3):
        factories.make_premises(district=district)
    db.session.commit()
    client.application.config["WISHBOARD_PAGE_SIZE"] = 1

    def canonical(query: str) -> str:
        page = soup(client.get(f"/premises?{query}"))
        return page.select_one("link[rel=canonical]")["href"]

    base = "http://localhost/premises"
    assert canonical("sort=newest&type=shop%3Dbakery&utm_source=x&_=123") == base
    assert canonical("page=1") == base
    assert canonical("page=2&sort=newest") == f"{base}?page=2"
    assert canonical(f"district={district.id}&utm_campaign=y") == f"{base}?district={district.id}"


def test_robots_keep_crawlers_off_every_page_a_visitor_cannot_open(app, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    robots = RobotFileParser()
    robots.parse(response.get_data(as_text=True).splitlines())

    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "<" in rule.rule:
            continue
        visitor = ACCESS[(rule.endpoint, "GET")]["visitor"]
        if visitor != OK:
            assert not robots.can_fetch("*", rule.rule), rule.rule
    for path in ("/moderation/", "/admin/users", "/landlord/", "/me", "/me/wishes", "/p/1"):
        assert not robots.can_fetch("*", path), path
    for path in ("/", "/premises", "/premises/1", "/shops/1", "/gaps", "/stats", "/data"):
        assert robots.can_fetch("*", path), path
    assert robots.site_maps() == ["http://localhost/sitemap.xml"]


def _locs(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.get_data())
    return [element.text for element in root.iter(f"{SITEMAP}loc")]


def test_the_sitemap_lists_the_public_pages_in_absolute_urls(client):
    district = factories.make_district("Crimée")
    vacant = factories.make_premises(district=district)
    let = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=bakery"),
        let_on=date(2024, 3, 1),
    )
    withdrawn = factories.make_premises(status=PremisesStatus.WITHDRAWN)
    shop = factories.make_shop()
    db.session.commit()

    locs = _locs(client.get("/sitemap.xml"))

    base = "http://localhost"
    for path in ("/", "/premises", "/shops", "/gaps", "/opportunities", "/stats", "/data"):
        assert base + path in locs
    assert f"{base}/premises?district={district.id}" in locs
    assert f"{base}/premises/{vacant.id}" in locs and f"{base}/premises/{let.id}" in locs
    assert f"{base}/premises/{withdrawn.id}" not in locs
    assert f"{base}/shops/{shop.id}" in locs
    assert len(locs) == len(set(locs))


def test_the_sitemap_follows_the_data_and_answers_304_while_it_is_the_same(client):
    db.session.commit()
    first = client.get("/sitemap.xml")
    again = client.get("/sitemap.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304

    premises = factories.make_premises()
    db.session.commit()

    assert f"http://localhost/premises/{premises.id}" in _locs(client.get("/sitemap.xml"))


def test_past_the_limit_of_one_file_the_sitemap_is_an_index_of_parts(client, monkeypatch):
    monkeypatch.setattr(site_files_views, "SITEMAP_MAX_URLS", 4)
    premises = [factories.make_premises() for _ in range(3)]
    db.session.commit()

    index = ElementTree.fromstring(client.get("/sitemap.xml").get_data())

    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [element.text for element in index.iter(f"{SITEMAP}loc")]
    assert parts[0] == "http://localhost/sitemaps/1.xml"
    locs = [
        loc for part in parts for loc in _locs(client.get(part.removeprefix("http://localhost")))
    ]
    assert all(len(_locs(client.get(p.removeprefix("http://localhost")))) <= 4 for p in parts)
    assert {f"http://localhost/premises/{p.id}" for p in premises} <= set(locs)
    assert client.get(f"/sitemaps/{len(parts) + 1}.xml").status_code == 404


def test_a_sitemap_part_does_not_exist_while_one_file_holds_everything(client):
    db.session.commit()
    assert client.get("/sitemaps/1.xml").status_code == 404


@pytest.mark.parametrize("path", ["/favicon.ico", "/static/favicon.svg"])
def test_the_icon_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon", "image/svg+xml")
    response.close()


def test_every_page_links_its_icons(client):
    page = soup(client.get("/auth/login"))
    icons = [link["href"] for link in page.select("link[rel=icon]")]
    assert icons[0] == "/favicon.ico"
    assert icons[1].startswith("/static/favicon.svg")


def test_an_error_page_names_no_canonical_url(client):
    page = soup(client.get("/premises/999999"))
    assert page.select("link[rel=canonical]") == [] and page.select("meta[property='og:url']") == []
    assert page.find("meta", attrs={"name": "description"})["content"]
