"""Performance at city scale: bounded queries per page, exact demand counts kept by the database,
the response cache and its ETags, compression, long-lived static files, and the city seed."""

import gzip
import json
import re
from datetime import date
from pathlib import Path

import brotli
import pytest
from flask import Flask, g, url_for
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlalchemy import delete, event, func, select, text, update

from tests import factories
from tests.conftest import make_app, postgres_url
from tests.helpers import soup
from wishboard.assets import YEAR_S, inline_stylesheet
from wishboard.caching import (
    TOKEN_PLACEHOLDER,
    _GzippedPage,
    data_version,
    data_versions,
    forget_all,
)
from wishboard.data import demo
from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    Premises,
    PremisesStatus,
    Role,
    ShopType,
    Support,
    User,
    WishStatus,
)
from wishboard.security import VERSIONS_READ_WITH_USER, content_security_policy
from wishboard.services.demand.counts import count_for
from wishboard.settings import settings

TYPES = ("shop=bakery", "shop=cheese", "amenity=cafe", "shop=books", "shop=greengrocer")
HTMX = {"HX-Request": "true"}


def add_town(premises: int, residents: int, comments: int, first: Premises | None = None):
    """Premises with supports of several types, one let, comments and area wishes; `first`."""
    # `first` is the premises every page test opens: the larger town adds to it too.
    people = [factories.make_user() for _ in range(residents)]
    districts = [factories.make_district(name) for name in ("Belleville", "Jourdain")]
    places = [
        factories.make_premises(
            address=f"{n} rue de la Villette",
            district=districts[n % 2],
            latitude=48.872 + n * 0.0001,
            longitude=2.381,
        )
        for n in range(premises)
    ]
    first = first or places[0]
    for index, place in enumerate([first, *places]):
        for number, person in enumerate(people):
            factories.make_support(place, person, code=TYPES[(index + number) % len(TYPES)])
    factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )
    for number, person in enumerate(people[:comments]):
        code = TYPES[number % len(TYPES)]
        factories.make_wish(
            first, author=person, shop_type=factories.shop_type(code), comment=f"Un mot {number}"
        )
        factories.make_wish(
            None,
            author=person,
            shop_type=factories.shop_type(code),
            latitude=first.latitude + 0.0005,
            longitude=first.longitude,
        )
    db.session.commit()
    return first


def queries_per_page(client: FlaskClient, count_queries, first: Premises) -> dict[str, int]:
    """How many SQL statements each public page costs, built afresh (not from the cache)."""
    pages = {
        "map": ("/", {}),
        "list": ("/premises", {}),
        "list filtered": ("/premises?type=shop%3Dbakery", {}),
        "premises": (f"/premises/{first.id}", {}),
        "panel": (f"/premises/{first.id}", HTMX),
        "geojson": ("/api/premises.geojson", {}),
        "geojson in view": ("/api/premises.geojson?bbox=2.37,48.86,2.39,48.88", {}),
        "cells": ("/api/premises/clusters.geojson?zoom=13&bbox=2.37,48.86,2.39,48.88", {}),
        "cells filtered": ("/api/premises/clusters.geojson?zoom=15&type=shop%3Dbakery", {}),
        "shops in view": ("/api/shops.geojson?bbox=2.37,48.86,2.39,48.88", {}),
    }
    counts = {}
    for name, (url, headers) in pages.items():
        forget_all(client.application)
        with count_queries() as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        response.get_data()  # a streamed answer reads the database as it is written
        counts[name] = queries.count
    return counts


# Bounded queries ------------------------------------------------------------------------------


def test_each_public_page_costs_the_same_queries_for_a_small_and_a_larger_town(
    app: Flask, client: FlaskClient, count_queries
) -> None:
    first = add_town(premises=3, residents=4, comments=2)
    small = queries_per_page(client, count_queries, first)

    add_town(premises=30, residents=12, comments=8, first=first)
    larger = queries_per_page(client, count_queries, first)

    assert larger == small
    assert max(small.values()) <= 12
    assert len(soup(client.get("/premises")).select(".premises-table tbody tr")) == 20


def test_a_signed_in_resident_costs_the_same_queries_for_a_larger_town(
    app: Flask, client: FlaskClient, count_queries, login_as
) -> None:
    resident = login_as()
    first = add_town(premises=3, residents=4, comments=2)
    factories.make_support(first, resident, code="shop=bakery")
    db.session.commit()
    small = queries_per_page(client, count_queries, first)

    add_town(premises=30, residents=12, comments=8, first=first)
    larger = queries_per_page(client, count_queries, first)

    assert larger == small


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.RESIDENT, "/me/wishes"),
        (Role.LANDLORD, "/landlord/"),
        (Role.MODERATOR, "/moderation/"),
    ],
    ids=["resident-my-wishes", "landlord-list", "moderator-queue"],
)
def test_a_persons_own_page_costs_the_same_queries_for_a_larger_town(
    client: FlaskClient, count_queries, login_as, role: Role, url: str
) -> None:
    person_id = login_as(role).id

    def grow(premises: int, residents: int, comments: int, first=None) -> Premises:
        first = add_town(premises, residents, comments, first)
        person_now = db.session.get(User, person_id)
        supported = set(
            db.session.scalars(select(Support.premises_id).where(Support.resident_id == person_id))
        )
        for place in db.session.scalars(select(Premises).order_by(Premises.id)):
            if role is Role.LANDLORD:
                place.landlord_id = person_now.id  # the landlord's list grows with the town
            elif (
                role is Role.RESIDENT
                and place.id not in supported
                and place.status is PremisesStatus.VACANT
            ):
                factories.make_support(place, person_now, code="shop=books")
        db.session.commit()
        return first

    def cost() -> int:
        forget_all(client.application)
        db.session.expunge_all()
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return queries.count

    first = grow(premises=3, residents=4, comments=2)
    small = cost()
    grow(premises=30, residents=12, comments=8, first=db.session.merge(first))
    assert cost() == small


def test_a_support_tap_writes_once_and_answers_from_what_it_wrote(
    app: Flask, client: FlaskClient, login_as
) -> None:
    login_as()
    place = add_town(premises=3, residents=6, comments=2)
    db.session.commit()
    page = client.get(f"/premises/{place.id}")
    token = json.loads(soup(page).body["data-hx-headers"])["X-CSRFToken"]
    headers = {"HX-Request": "true", "X-CSRFToken": token, "Accept-Language": "en"}
    db.session.expunge_all()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        tapped = client.post(f"/premises/{place.id}/supports/shop=bakery", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert tapped.status_code == 200
    writes = [n for n, sql in enumerate(statements) if sql.startswith("INSERT INTO supports")]
    assert len(writes) == 1  # one statement writes the support (or counts it again)
    after = statements[writes[0] + 1 :]
    # Then only the cap and the count, read in the same transaction: nothing loaded again.
    reloaded = [sql for sql in after if re.match(r"SELECT (premises|shop_types|users)\.", sql)]
    assert reloaded == []
    assert len(after) == 2
    count = count_for(db.session.get(Premises, place.id), factories.shop_type("shop=bakery"))
    shown = soup(tapped).select_one(".support-count").get_text()
    assert shown == (f"{count} residents" if count > 1 else "1 resident")


def test_a_cached_page_costs_one_query_whatever_the_town(
    app: Flask, client: FlaskClient, count_queries
) -> None:
    first = add_town(premises=25, residents=6, comments=3)
    for url, headers in (("/", {}), ("/premises", {}), (f"/premises/{first.id}", HTMX)):
        client.get(url, headers=headers)
        with count_queries() as queries:
            assert client.get(url, headers=headers).status_code == 200
        assert queries.count == 1, url  # the data version


# Demand counts kept by the database -----------------------------------------------------------


def counts_by_pair() -> dict[tuple[int, int], int]:
    return {
        (row.premises_id, row.shop_type_id): row.supports
        for row in db.session.scalars(select(DemandCount))
    }


def counted_from_supports() -> dict[tuple[int, int], int]:
    rows = db.session.execute(
        select(Support.premises_id, Support.shop_type_id, func.count())
        .where(Support.counted.is_(True))
        .group_by(Support.premises_id, Support.shop_type_id)
    )
    return {(premises_id, type_id): number for premises_id, type_id, number in rows}


def test_demand_counts_follow_every_insert_delete_move_and_cascade(app: Flask) -> None:
    places = [factories.make_premises() for _ in range(2)]
    people = [factories.make_user() for _ in range(3)]
    for person in people:
        factories.make_support(places[0], person, code="shop=bakery")
    factories.make_support(places[1], people[0], code="shop=cheese")
    db.session.commit()
    assert counts_by_pair() == counted_from_supports()
    bakery, cheese = factories.shop_type("shop=bakery"), factories.shop_type("shop=cheese")
    assert counts_by_pair()[(places[0].id, bakery.id)] == 3

    # Withdrawing, as a bulk delete does it.
    db.session.execute(delete(Support).where(Support.resident_id == people[2].id))
    # Moving supports to another type, as an administrator's merge of two types does it.
    db.session.execute(
        update(Support).where(Support.shop_type_id == bakery.id).values(shop_type_id=cheese.id)
    )
    db.session.commit()
    assert (
        counts_by_pair()
        == counted_from_supports()
        == {
            (places[0].id, cheese.id): 2,
            (places[1].id, cheese.id): 1,
        }
    )

    # Deleting a premises takes its supports and their counts with it; none is left at zero.
    db.session.delete(places[0])
    db.session.commit()
    assert counts_by_pair() == counted_from_supports() == {(places[1].id, cheese.id): 1}


def test_the_data_version_moves_with_public_changes_only(app: Flask) -> None:
    place = factories.make_premises()
    author = factories.make_user()
    db.session.commit()

    def changed(action) -> bool:
        before = data_version()
        action()
        db.session.commit()
        return data_version() != before

    assert changed(lambda: factories.make_support(place, author))
    assert not changed(
        lambda: factories.make_wish(place, author=author, status=WishStatus.PENDING, comment="x")
    )
    assert not changed(lambda: setattr(author, "last_login_at", date(2026, 1, 1)))
    assert changed(lambda: setattr(author, "display_name", "Camille B."))
    assert changed(lambda: setattr(place, "address", "2 rue de Meaux"))
    assert changed(lambda: setattr(factories.shop_type("shop=cheese"), "label_en", "Cheeses"))


# The response cache and its ETags -------------------------------------------------------------


def csrf_in(response) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_cached_page_carries_each_visitors_own_csrf_token(app: Flask) -> None:
    add_town(premises=2, residents=3, comments=1)
    first_visitor, second_visitor = app.test_client(), app.test_client()

    first_page = first_visitor.get("/premises")
    second_page = second_visitor.get("/premises")  # from the cache

    assert csrf_in(first_page) != csrf_in(second_page)
    # The second visitor's token is valid for their session: their support is not refused as
    # an expired form (400) but sent to sign in.
    form = soup(second_page).select_one("form.support")
    answer = second_visitor.post(
        form["action"],
        data={"csrf_token": form.select_one("input[name=csrf_token]")["value"], "next": "/"},
    )
    assert answer.status_code == 303 and "/auth/login" in answer.headers["Location"]


def test_a_page_answers_304_until_the_data_changes(app: Flask, client: FlaskClient) -> None:
    first = add_town(premises=2, residents=3, comments=1)
    page = client.get(f"/premises/{first.id}")
    etag = page.headers["ETag"]
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "Accept-Language"} <= set(page.headers["Vary"].replace(" ", "").split(","))

    assert client.get(f"/premises/{first.id}", headers={"If-None-Match": etag}).status_code == 304

    factories.make_support(first, code="shop=cheese")
    db.session.commit()
    fresh = client.get(f"/premises/{first.id}", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    # Another visitor's copy never matches: it holds another session's token.
    assert (
        app.test_client().get(f"/premises/{first.id}", headers={"If-None-Match": etag}).status_code
        == 200
    )


def test_a_signed_in_persons_page_is_their_own_and_kept_while_nothing_changes(
    app: Flask, client: FlaskClient, count_queries, login_as
) -> None:
    first = add_town(premises=2, residents=3, comments=1)
    resident = login_as()
    factories.make_support(first, resident, code="shop=cheese")
    db.session.commit()
    url = f"/premises/{first.id}"
    built = client.get(url)
    db.session.expunge_all()
    with count_queries() as queries:
        again = client.get(url)
    # Who they are, with the two versions in the same query: not the premises, its demand or
    # their supports.
    assert queries.count == 1
    # The same page, with the session's token (signed again at each request) put back in.
    assert again.get_data(as_text=True).replace(csrf_in(again), "") == built.get_data(
        as_text=True
    ).replace(csrf_in(built), "")
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in again.headers

    # Another resident, signed in at the same time, sees their own buttons, not the first's.
    other = app.test_client()
    neighbour = factories.make_user()
    db.session.commit()
    with other.session_transaction() as session:
        session["_user_id"] = neighbour.get_id()
        session["_fresh"] = True

    def pressed(response) -> int:
        return len(soup(response).select("form.support button[aria-pressed=true]"))

    assert pressed(again) == 1
    assert pressed(other.get(url)) == 0


def test_the_versions_read_with_the_person_serve_only_a_request_that_reads(app: Flask) -> None:
    # A view that wrote has moved them since they were read: it asks the database again.
    for method, kept in (("GET", True), ("HEAD", True), ("POST", False)):
        with app.test_request_context(method=method):
            setattr(g, VERSIONS_READ_WITH_USER, (-1, -2))
            assert (data_versions() == (-1, -2)) is kept, method
            assert VERSIONS_READ_WITH_USER not in g  # used once at most


def test_a_change_only_signed_in_people_see_rebuilds_their_pages(
    client: FlaskClient, login_as
) -> None:
    first = add_town(premises=2, residents=3, comments=0)
    resident = login_as()
    before = client.get("/me/wishes").get_data(as_text=True)
    assert "Une fromagerie, vite" not in before

    # A comment awaiting review moves no public page, but the author's own list shows it.
    factories.make_wish(
        first,
        author=db.session.merge(resident),
        status=WishStatus.PENDING,
        shop_type=factories.shop_type("shop=cheese"),
        comment="Une fromagerie, vite",
    )
    db.session.commit()
    assert "Une fromagerie, vite" in client.get("/me/wishes").get_data(as_text=True)

    # So does a new role: the menu follows it at once.
    db.session.merge(resident).role = Role.LANDLORD
    db.session.commit()
    menu = soup(client.get("/")).select_one("nav.account-nav")
    assert menu.select_one("a[href='/landlord/']") is not None


def test_a_page_with_a_message_is_not_kept(client: FlaskClient, login_as) -> None:
    add_town(premises=1, residents=1, comments=0)
    login_as()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Bienvenue parmi nous")]
    assert "Bienvenue parmi nous" in client.get("/premises").get_data(as_text=True)
    assert "Bienvenue parmi nous" not in client.get("/premises").get_data(as_text=True)


def test_the_private_version_moves_with_every_change_a_signed_in_page_shows(app: Flask) -> None:
    place = factories.make_premises()
    author = factories.make_user()
    db.session.commit()

    def changed(action) -> bool:
        before = data_versions()[1]
        action()
        db.session.commit()
        return data_versions()[1] != before

    assert changed(lambda: factories.make_support(place, author))
    assert changed(
        lambda: factories.make_wish(place, author=author, status=WishStatus.PENDING, comment="x")
    )
    assert changed(lambda: setattr(author, "role", Role.LANDLORD))
    # The bookkeeping of a sign-in or of the last digest shows on no page.
    assert not changed(lambda: setattr(author, "last_login_at", date(2026, 1, 1)))
    assert not changed(lambda: setattr(author, "notified_at", date(2026, 1, 2)))


def test_geojson_is_compressed_and_the_same_once_decompressed(client: FlaskClient) -> None:
    add_town(premises=3, residents=3, comments=1)
    plain = client.get("/api/premises.geojson")
    zipped = client.get("/api/premises.geojson", headers={"Accept-Encoding": "gzip"})
    squeezed = client.get("/api/premises.geojson", headers={"Accept-Encoding": "gzip, br"})

    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert squeezed.headers["Content-Encoding"] == "br"
    assert gzip.decompress(zipped.data) == brotli.decompress(squeezed.data) == plain.data
    assert len(json.loads(plain.data)["features"]) == 4
    assert plain.headers["ETag"] == zipped.headers["ETag"]
    assert "Accept-Encoding" in zipped.headers["Vary"]


def test_pages_are_compressed_for_browsers_that_accept_it(client: FlaskClient) -> None:
    add_town(premises=25, residents=3, comments=1)
    page = client.get("/premises", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"premises-table" in gzip.decompress(page.data)


@pytest.mark.parametrize("path", ["/", "/premises"])  # one token; one per support button too
def test_a_kept_page_is_gzipped_once_and_each_visitor_gets_their_own_token_in_it(
    app: Flask, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A visitor's CSRF token is signed with the second it is made: the pages compared below are
    # made within one second, as a slow run may not (the token then differed by its last letters).
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    add_town(premises=25, residents=3, comments=1)
    app.test_client().get(path)  # built and kept
    gzipped = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    first_visitor, second_visitor = app.test_client(), app.test_client()

    first, second = (
        first_visitor.get(path, headers=gzipped),
        second_visitor.get(path, headers=gzipped),
    )

    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["Vary"]
    # gzip checks the CRC and the length of what it unpacks.
    first_page, second_page = gzip.decompress(first.data), gzip.decompress(second.data)
    # The same page as a browser that takes no compression gets, each with its own token.
    assert first_page == first_visitor.get(path).data
    first_token, second_token = (
        re.search(rb'"X-CSRFToken": "([^"]+)"', page).group(1) for page in (first_page, second_page)
    )
    assert first_token != second_token
    tokens = re.findall(rb'name="csrf_token" value="([^"]+)"', second_page)
    assert set(tokens) <= {second_token} and (path == "/" or len(tokens) > 25)
    assert second_page.replace(second_token, first_token) == first_page
    # Compressed as well as the page alone, and with the policy its inline scripts need.
    assert len(first.data) < 1.1 * len(gzip.compress(first_page))
    with app.test_request_context():
        policy = content_security_policy(first_page)
    assert first.headers["Content-Security-Policy"] == policy
    assert "'sha256-" in policy or path != "/"


def test_a_page_is_gzipped_ready_for_tokens_only_when_text_with_a_token_of_its_length() -> None:
    page = b"<p>caf\xc3\xa9 " + TOKEN_PLACEHOLDER + b" and " + TOKEN_PLACEHOLDER + b"</p>"
    ready = _GzippedPage.of(page, 12)
    assert gzip.decompress(ready.with_token(b"abcdefghijkl")) == page.replace(
        TOKEN_PLACEHOLDER, b"abcdefghijkl"
    )
    assert ready.with_token(b"a token of another length") is None
    assert _GzippedPage.of(b"<p>no token</p>", 12) is None
    assert _GzippedPage.of(b"<p>\xff not UTF-8 " + TOKEN_PLACEHOLDER + b"</p>", 12) is None


@pytest.mark.postgres
def test_pages_are_served_on_after_the_database_drops_every_connection() -> None:
    # As after a restart of PostgreSQL: the connections the site keeps are all gone. The
    # requests run outside the test's application context, each with a session of its own.
    app = make_app(postgres_url())
    with app.app_context():
        first = add_town(premises=2, residents=3, comments=1)
        first_id = first.id
    try:
        visitor = app.test_client()
        assert visitor.get("/premises").status_code == 200
        with app.app_context(), db.engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )

        page = visitor.get(f"/premises/{first_id}")
        again = app.test_client().get(f"/premises/{first_id}")  # from the cache

        assert page.status_code == again.status_code == 200
        assert page.get_data(as_text=True).count("rue de la Villette") >= 1
    finally:
        with app.app_context():
            db.engine.dispose()


# Static files -------------------------------------------------------------------------------


def test_static_urls_carry_a_content_hash_and_are_kept_a_year(app: Flask, client) -> None:
    with app.test_request_context():
        url = url_for("static", filename="js/map.js")
    assert re.fullmatch(r"/static/js/map\.js\?v=[0-9a-f]{12}", url)
    page = soup(client.get("/"))
    assert url in [tag["src"] for tag in page.select("script[src]")]

    kept, old, plain = (
        client.get(path) for path in (url, "/static/js/map.js?v=000000000000", "/static/js/map.js")
    )
    for response in (kept, old, plain):
        response.close()
    assert kept.status_code == 200
    assert kept.cache_control.max_age == YEAR_S and kept.cache_control.immutable
    assert not old.cache_control.immutable  # an outdated hash is not promised for a year
    assert not plain.cache_control.max_age

    squeezed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.data) == (Path(app.static_folder) / "js/map.js").read_bytes()
    revalidated = client.get(url, headers={"If-None-Match": squeezed.headers["ETag"]})
    revalidated.close()
    assert revalidated.status_code == 304


# The first paint: nothing to wait for -------------------------------------------------------


def _bare_css(css: str) -> str:
    return re.sub(r"\s+", "", css)


FIRST_PAINT_PAGES = ["/", "/premises", "/premises/{id}", "/shops", "/gaps", "/stats", "/data"]


@pytest.mark.parametrize("path", FIRST_PAINT_PAGES)
def test_a_page_links_no_stylesheet_and_defers_every_script(
    app: Flask, client: FlaskClient, path: str
) -> None:
    premises = factories.make_premises()
    factories.make_shop()
    db.session.commit()

    page = soup(client.get(path.format(id=premises.id)))

    assert page.select('link[rel="stylesheet"]') == []
    # The site's stylesheet is in the page, whole but for its comments and spaces.
    site_css = (Path(app.static_folder) / "css/site.css").read_text()
    styles = [_bare_css(style.string) for style in page.select("head style")]
    assert _bare_css(re.sub(r"/\*.*?\*/", "", site_css, flags=re.DOTALL)) in styles
    for script in page.select("script[src]"):
        assert script.has_attr("defer"), script["src"]
    # An inline script that needs Leaflet (folium's set-up) waits for it: a module script runs
    # once the page is parsed, after the deferred scripts before it.
    for script in page.select("script:not([src])"):
        if "L." in (script.string or ""):
            assert script.get("type") == "module"


def test_the_map_set_up_runs_after_leaflet_and_before_map_js(client: FlaskClient) -> None:
    scripts = soup(client.get("/")).select("body script")
    order = [script.get("src", "").split("?")[0] or script.get("type") for script in scripts]

    leaflet = order.index("/static/vendor/leaflet/leaflet.js")
    set_up = order.index("module")
    assert leaflet < set_up < order.index("/static/js/map.js")
    assert "window.map_town = L.map(" in scripts[set_up].string


def test_leaflets_stylesheet_written_into_the_page_still_finds_its_images(
    client: FlaskClient,
) -> None:
    styles = " ".join(style.string for style in soup(client.get("/")).select("head style"))

    images = re.findall(r"url\((/static/vendor/leaflet/images/[^)]+)\)", styles)
    assert len(images) == 3  # layers.png, layers-2x.png, marker-icon.png
    for url in images:
        answer = client.get(url)
        answer.close()
        assert answer.status_code == 200, url
    assert "url(#default#VML)" in styles  # a fragment, left as it was
    assert "url(images/" not in styles


def test_a_stylesheet_that_would_close_its_style_element_is_refused(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad.css").write_text('p::after { content: "</style><script>"; }')
    monkeypatch.setattr(app, "static_folder", str(tmp_path))

    with app.test_request_context(), pytest.raises(ValueError, match="bad.css"):
        inline_stylesheet("bad.css")


# The city-scale seed --------------------------------------------------------------------------


@pytest.mark.long
def test_the_city_scale_seed_finishes_with_the_counts_asked(app: Flask) -> None:
    counts = demo.load_city(settings())

    assert counts["premises"] == 5000 and counts["supports"] == 200_000
    city = Premises.reference.like("CITY-%")
    assert db.session.scalar(select(func.count(Premises.id)).where(city)) == 5000
    assert db.session.scalar(select(func.count(Support.id))) == 200_000
    assert db.session.scalar(select(func.count(User.id))) == 50_000
    # The counts the pages read were rebuilt at once, and the triggers are back.
    assert db.session.scalar(select(func.sum(DemandCount.supports))) == 200_000
    triggers = db.session.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
    ).scalar()
    assert triggers >= 20
    busiest = db.session.scalars(
        select(DemandCount).order_by(DemandCount.supports.desc()).limit(1)
    ).one()
    key = (busiest.premises_id, busiest.shop_type_id)
    before = busiest.supports
    code = db.session.get(ShopType, busiest.shop_type_id).code
    factories.make_support(db.session.get(Premises, busiest.premises_id), code=code)
    db.session.commit()
    assert db.session.get(DemandCount, key).supports == before + 1
