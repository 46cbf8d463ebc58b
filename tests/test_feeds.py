"""Atom feeds of the premises: valid for a real parser, by town and by district, cached by ETag."""

from datetime import date

import feedparser
import pytest

from tests import factories
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import Role
from wishboard.services.premises import management
from wishboard.services.premises.management import PremisesValues

ENGLISH = {"Accept-Language": "en"}
HOSTILE = 'Rue <script>alert("x")</script> & Cie'


def add_premises(moderator, address: str, district: str, reference: str):
    values = PremisesValues(
        address=address,
        city="Paris",
        district=district,
        latitude=48.8722,
        longitude=2.381,
        reference=reference,
    )
    return management.create_premises(moderator, values)


@pytest.fixture
def town(app):
    """Three premises in two districts: one let to a bakery two residents asked for, one
    withdrawn, one with a hostile address still vacant."""
    moderator = factories.make_user(role=Role.MODERATOR)
    factories.make_district("Belleville")
    factories.make_district("Jourdain")
    db.session.commit()
    let = add_premises(moderator, "12 rue de Belleville", "Belleville", "BEL-1")
    factories.make_support(let)
    factories.make_support(let)
    factories.make_support(let, code="shop=greengrocer")
    db.session.commit()
    management.mark_let(moderator, let, factories.shop_type("shop=bakery"), date(2026, 11, 2))
    gone = add_premises(moderator, "3 rue des Retirés", "Belleville", "BEL-2")
    management.withdraw_premises(moderator, gone)
    hostile = add_premises(moderator, HOSTILE, "Jourdain", "JOU-1")
    return {"let": let, "gone": gone, "hostile": hostile}


def parse(response):
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_town_feed_tells_each_step_newest_first(client, town):
    feed = parse(client.get("/feeds/town.atom", headers=ENGLISH))

    assert feed.feed.title == "Empty premises and new shops: Wishboard"
    assert feed.feed.language == "en"
    assert [entry.title for entry in feed.entries] == [
        f"Empty premises: {HOSTILE}",
        "Let: 12 rue de Belleville, now Bakery",
        "Empty premises: 12 rue de Belleville",
    ]
    let = feed.entries[1]
    assert let.summary == "A shop has opened: Bakery. 2 residents had asked for one here."
    assert let.link == f"http://localhost/premises/{town['let'].id}"
    assert [tag.term for tag in let.tags] == ["let"]
    # Ids last: the same event keeps its id, two events never share one.
    assert len({entry.id for entry in feed.entries}) == 3
    assert all(entry.id.startswith("tag:localhost,2024:") for entry in feed.entries)
    assert feed.feed.updated == feed.entries[0].updated


def test_a_withdrawn_premises_leaves_the_feed(client, town):
    feed = parse(client.get("/feeds/town.atom", headers=ENGLISH))

    assert not any("Retirés" in entry.title for entry in feed.entries)


def test_hostile_text_is_escaped_and_read_back_as_text(client, town):
    response = client.get("/feeds/town.atom", headers=ENGLISH)

    assert b"<script>" not in response.data
    feed = parse(response)
    assert feed.entries[0].title == f"Empty premises: {HOSTILE}"


def test_a_character_xml_cannot_hold_is_left_out_rather_than_breaking_the_feed(client, town):
    town["hostile"].address = "5 rue\uffff du Four"
    db.session.commit()

    feed = parse(client.get("/feeds/town.atom", headers=ENGLISH))

    assert feed.entries[0].title == "Empty premises: 5 rue du Four"


def test_a_district_feed_holds_only_its_district(client, town):
    district_id = town["hostile"].district_id

    feed = parse(client.get(f"/feeds/districts/{district_id}.atom", headers=ENGLISH))

    assert feed.feed.title == "Empty premises and new shops in Jourdain: Wishboard"
    assert [entry.title for entry in feed.entries] == [f"Empty premises: {HOSTILE}"]
    assert feed.feed.link == f"http://localhost/premises?district={district_id}"


def test_an_unknown_district_has_no_feed(client, town):
    assert client.get("/feeds/districts/999999.atom").status_code == 404


def test_the_feed_is_in_french_by_default(client, town):
    feed = parse(client.get("/feeds/town.atom"))

    assert feed.feed.language == "fr"
    assert feed.entries[1].title == "Loué : 12 rue de Belleville, désormais Boulangerie"


def test_an_empty_town_has_a_valid_feed(client, app):
    feed = parse(client.get("/feeds/town.atom", headers=ENGLISH))

    assert feed.entries == [] and feed.feed.updated


def test_the_feed_is_tagged_and_answered_304_until_something_changes(client, town):
    first = client.get("/feeds/town.atom", headers=ENGLISH)
    etag = first.headers["ETag"]

    again = client.get("/feeds/town.atom", headers={**ENGLISH, "If-None-Match": etag})
    assert again.status_code == 304

    moderator = factories.make_user(role=Role.MODERATOR)
    db.session.commit()
    add_premises(moderator, "8 rue Neuve", "Belleville", "BEL-3")
    changed = client.get("/feeds/town.atom", headers={**ENGLISH, "If-None-Match": etag})
    assert changed.status_code == 200
    assert parse(changed).entries[0].title == "Empty premises: 8 rue Neuve"


@pytest.mark.parametrize("path", ["/", "/premises"])
def test_the_map_and_the_list_link_to_the_town_feed(client, town, path):
    links = soup(client.get(path, headers=ENGLISH)).select(
        "head link[rel=alternate][type='application/atom+xml']"
    )

    assert [link["href"] for link in links] == ["/feeds/town.atom"]
    assert links[0]["title"] == "Empty premises and new shops (Atom feed)"


def test_the_list_of_a_district_links_to_its_feed_too(client, town):
    district_id = town["hostile"].district_id

    page = soup(client.get(f"/premises?district={district_id}", headers=ENGLISH))

    hrefs = [
        link["href"]
        for link in page.select("head link[rel=alternate][type='application/atom+xml']")
    ]
    assert hrefs == ["/feeds/town.atom", f"/feeds/districts/{district_id}.atom"]
