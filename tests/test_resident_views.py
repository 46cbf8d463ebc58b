"""A resident's actions through the test client: wish, support, withdraw, area wish, "My wishes".

Each route is exercised twice, as htmx sends it (`HX-Request`, a fragment back) and as a plain
form post (a 303 and a flash message on the next page), and every refusal is checked to write
nothing.
"""

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import Premises, PremisesStatus, Role, Support, Wish, WishStatus
from wishboard.services.demand import moderation
from wishboard.services.demand.counts import demand_for

BAKERY = "shop=bakery"
HTMX = {"HX-Request": "true"}
# Inside the default WISHBOARD_MAP_BOUNDS (48.8450, 2.3600, 48.9030, 2.4170).
INSIDE = {"latitude": "48.87", "longitude": "2.38"}


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    """These tests read the English texts."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def premises(app) -> Premises:
    """A vacant premises with nobody's wish yet."""
    premises = factories.make_premises(address="12 rue de Belleville")
    db.session.commit()
    return premises


def csrf_token(client: FlaskClient, page: str = "/auth/check-email") -> str:
    """The CSRF token a page gives its forms and (through `hx-headers`) every htmx request."""
    response = client.get(page)
    assert response.status_code == 200
    body = soup(response).body
    token = json.loads(body["data-hx-headers"])["X-CSRFToken"]
    field = body.select_one("input[name=csrf_token]")
    assert field is None or field["value"] == token
    return token


def post(client: FlaskClient, url: str, htmx: bool = False, token: bool = True, **data):
    """Post `data` to `url` as a browser would: a plain form, or htmx with its CSRF header."""
    headers = {}
    if token:
        value = csrf_token(client)
        if htmx:
            headers["X-CSRFToken"] = value
        else:
            data["csrf_token"] = value
    if htmx:
        headers |= HTMX
    return client.post(url, data=data, headers=headers)


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def nothing_written() -> bool:
    return rows(Support) == 0 and rows(Wish) == 0


def count_of(premises: Premises, code: str = BAKERY) -> int:
    db.session.expire_all()
    return next((d.count for d in demand_for(premises) if d.shop_type.code == code), 0)


def flashes(client: FlaskClient, url: str) -> list[str]:
    """The flash messages shown on the page at `url`."""
    page = soup(client.get(url))
    return [p.get_text(strip=True) for p in page.select(".flashes .flash")]


def is_fragment(response) -> bool:
    return "<html" not in response.get_data(as_text=True)


def support_url(premises: Premises, code: str = BAKERY) -> str:
    return f"/premises/{premises.id}/supports/{code}"


def withdraw_url(premises: Premises, code: str = BAKERY) -> str:
    return f"/premises/{premises.id}/supports/{code}/withdraw"


def button_id(premises: Premises, code: str = BAKERY) -> str:
    return f"support-{premises.id}-{code.replace('=', '-')}"


def wished_by_others(premises: Premises, count: int = 2, code: str = BAKERY) -> None:
    """`count` other residents already support `code` at `premises`."""
    for _ in range(count):
        factories.make_support(premises, code=code)
    db.session.commit()


def field_error(page: BeautifulSoup, field_id: str) -> str:
    """The error shown with a field, after checking the input is marked and linked to it."""
    field = page.select_one(f"#{field_id}")
    assert field["aria-invalid"] == "true"
    assert f"{field_id}-error" in field["aria-describedby"].split()
    return page.select_one(f"#{field_id}-error").get_text(" ", strip=True)


def login_location(response) -> tuple[str, str]:
    """(path, next) of a redirect to the sign-in page."""
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)["next"][0]


def login_location_of(href: str) -> str:
    """The `next` of a link to the sign-in page."""
    parts = urlsplit(href)
    assert parts.path == "/auth/login"
    return parse_qs(parts.query)["next"][0]


def hidden_fields(form) -> dict[str, str]:
    """What a browser sends with a form of buttons: its hidden inputs."""
    return {field["name"]: field["value"] for field in form.select("input[type=hidden]")}


# The premises page and its panel


def test_premises_page_for_htmx_is_only_its_panel(client, premises):
    wished_by_others(premises)

    response = client.get(f"/premises/{premises.id}", headers=HTMX)

    assert response.status_code == 200
    assert is_fragment(response)
    assert "HX-Request" in response.headers["Vary"]
    page = soup(response)
    [panel] = page.select("section.premises-panel")
    assert panel["id"] == f"premises-panel-{premises.id}"
    assert page.select_one(f"#{button_id(premises)} .support-count").get_text() == "2 residents"
    assert not page.select("h1, nav, .premises-facts")


def test_premises_page_as_visitor_shows_counts_and_sign_in_links(client, premises):
    wished_by_others(premises, 3)

    page = soup(client.get(f"/premises/{premises.id}"))

    panel = page.select_one(f"#premises-panel-{premises.id}")
    assert panel.select_one(f"#{button_id(premises)} .support-count").get_text() == "3 residents"
    sign_in = panel.select_one(".barrier a")
    assert sign_in.get_text(strip=True) == "Sign in"
    assert login_location_of(sign_in["href"]) == f"/premises/{premises.id}"
    assert not panel.select("form.wish-form")


@pytest.mark.parametrize("htmx", [True, False])
def test_a_visitors_support_button_leads_to_sign_in_not_to_silence(client, premises, htmx):
    """A visitor sees the support button; pressing it must explain, never fail unseen."""
    wished_by_others(premises)
    page = soup(client.get(f"/premises/{premises.id}"))
    form = page.select_one(f"form#{button_id(premises)}")
    assert form["method"] == "post"
    data = hidden_fields(form)
    headers = HTMX | {"X-CSRFToken": data["csrf_token"]} if htmx else {}

    response = client.post(form["data-hx-post" if htmx else "action"], data=data, headers=headers)

    if htmx:
        assert response.status_code == 403
        message = soup(response).select_one(f"form#{button_id(premises)} .support-message")
        assert "Sign in to make a wish" in message.get_text()
        assert login_location_of(message.select_one("a")["href"]) == f"/premises/{premises.id}"
    else:
        assert response.status_code == 303
        assert login_location(response) == ("/auth/login", f"/premises/{premises.id}")
    assert rows(Support) == 2


def test_premises_list_as_visitor_shows_counts_and_no_silent_form(client, premises):
    wished_by_others(premises, 2)

    page = soup(client.get("/premises"))

    row = page.select_one(".premises-table tbody tr")
    assert row.select_one("th a")["href"] == f"/premises/{premises.id}"
    assert row.select_one(".top-types .support-count").get_text() == "2 residents"
    assert [a.get_text(strip=True) for a in page.select('header a[href^="/auth/login"]')] == [
        "Sign in"
    ]
    # Any form a visitor can post from the list must send them to sign in, not fail unseen.
    for form in page.select("main form[method=post]"):
        response = client.post(form["action"], data=hidden_fields(form))
        assert login_location(response)[0] == "/auth/login"
    assert rows(Support) == 2


def test_a_resident_supports_from_the_list_and_comes_back_to_the_same_filters(
    client, login_as, premises
):
    wished_by_others(premises, 2)
    login_as()
    listing = f"/premises?district={premises.district_id}&sort=newest"

    page = soup(client.get(listing))
    button = page.select_one(f"form#support-{premises.id}-shop-bakery")
    assert button.select_one("button")["aria-pressed"] == "false"
    assert hidden_fields(button)["next"] == listing

    plain = client.post(button["action"], data=hidden_fields(button))
    assert (plain.status_code, plain.headers["Location"]) == (303, listing)
    after = soup(client.get(listing)).select_one(f"form#support-{premises.id}-shop-bakery")
    assert after.select_one(".support-count").get_text() == "3 residents"
    assert after.select_one("button")["aria-pressed"] == "true"

    # With htmx the button answers with itself, in place, and the list keeps the new count.
    fragment = post(client, after["action"], htmx=True, next=listing)
    swapped = soup(fragment).select_one(f"form#support-{premises.id}-shop-bakery")
    assert is_fragment(fragment) and fragment.headers["HX-Trigger"] == "demand-changed"
    assert swapped.select_one(".support-count").get_text() == "2 residents"
    assert swapped.select_one("input[name=next]")["value"] == listing
    assert rows(Support) == 2


@pytest.mark.parametrize("premises_id", ["999999", str(2**31), str(2**40)])
def test_a_premises_that_does_not_exist_is_404_for_every_action(client, login_as, premises_id):
    login_as()
    for url in (
        f"/premises/{premises_id}",
        f"/premises/{premises_id}/wishes",
        f"/premises/{premises_id}/supports/{BAKERY}",
        f"/premises/{premises_id}/supports/{BAKERY}/withdraw",
    ):
        for htmx in (False, True):
            if url.endswith(premises_id):
                response = client.get(url, headers=HTMX if htmx else {})
            else:
                response = post(client, url, htmx=htmx, shop_type=BAKERY)
            assert response.status_code == 404, url
    assert nothing_written()


# Making a wish


def test_wish_without_comment_by_htmx_returns_the_panel_with_the_new_count(
    client, login_as, premises
):
    login_as()

    response = post(client, f"/premises/{premises.id}/wishes", htmx=True, shop_type=BAKERY)

    assert response.status_code == 200
    assert is_fragment(response)
    page = soup(response)
    panel = page.select_one(f"section#premises-panel-{premises.id}")
    assert "Your wish for Bakery is counted" in panel.select_one(".notice").get_text()
    button = panel.select_one(f"form#{button_id(premises)}")
    assert button.select_one(".support-count").get_text() == "1 resident"
    assert button.select_one("button")["aria-pressed"] == "true"
    assert rows(Wish) == 1 and rows(Support) == 1
    assert count_of(premises) == 1


def test_wish_without_comment_by_plain_post_redirects_and_flashes(client, login_as, premises):
    login_as()

    response = post(client, f"/premises/{premises.id}/wishes", shop_type=BAKERY, comment="  ")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/premises/{premises.id}#wishes"
    assert flashes(client, f"/premises/{premises.id}") == [
        "Thank you. Your wish for Bakery is counted."
    ]
    assert db.session.scalars(select(Wish)).one().comment is None
    assert count_of(premises) == 1


@pytest.mark.parametrize("htmx", [True, False])
def test_the_same_wish_twice_counts_once(client, login_as, premises, htmx):
    login_as()
    for _ in range(2):
        response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type=BAKERY)
        assert response.status_code == (200 if htmx else 303)
    assert rows(Wish) == 1 and rows(Support) == 1


@pytest.mark.parametrize("htmx", [True, False])
def test_unknown_shop_type_is_422_on_the_field_and_writes_nothing(client, login_as, premises, htmx):
    login_as()

    response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type="shop=unicorns")

    assert response.status_code == 422
    assert is_fragment(response) is htmx
    page = soup(response)
    assert page.select_one(f"section#premises-panel-{premises.id}")
    assert field_error(page, "shop_type") == "Choose a shop type from the list."
    assert page.select_one(".error-summary a[href='#shop_type']")
    assert nothing_written()


@pytest.mark.parametrize("htmx", [True, False])
def test_comment_over_500_characters_is_422_on_the_comment(client, login_as, premises, htmx):
    login_as()

    response = post(
        client,
        f"/premises/{premises.id}/wishes",
        htmx=htmx,
        shop_type=BAKERY,
        comment="x" * 501,
    )

    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "comment") == "A comment has at most 500 characters."
    # What the resident wrote is kept, so that they can shorten it.
    assert page.select_one("textarea#comment").get_text().strip() == "x" * 501
    assert nothing_written()


def test_a_comment_of_exactly_500_characters_is_taken(client, login_as, premises):
    login_as()

    response = post(client, f"/premises/{premises.id}/wishes", shop_type=BAKERY, comment="y" * 500)

    assert response.status_code == 303
    assert db.session.scalars(select(Wish)).one().comment == "y" * 500


@pytest.mark.parametrize("htmx", [True, False])
def test_a_let_premises_takes_no_wish_and_says_why(client, login_as, htmx):
    premises = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )
    db.session.commit()
    login_as()

    response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type=BAKERY)

    assert response.status_code == 422
    panel = soup(response).select_one(f"section#premises-panel-{premises.id}")
    assert "has been let" in panel.select_one(".closed-reason").get_text()
    assert not panel.select("form.wish-form")
    assert nothing_written()


def test_a_let_premises_page_has_no_wish_form_nor_support_button(client, login_as):
    premises = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )
    wished_by_others(premises, 2)
    login_as()

    panel = soup(client.get(f"/premises/{premises.id}")).select_one(".premises-panel")

    assert "has been let" in panel.select_one(".closed-reason").get_text()
    assert panel.select_one(".support-count").get_text() == "2 residents"
    assert not panel.select("button")


@pytest.mark.parametrize("htmx", [True, False])
def test_the_fourth_shop_type_is_refused_with_the_cap(client, login_as, premises, htmx):
    login_as()
    for code in ("shop=bakery", "shop=cheese", "amenity=cafe"):
        assert post(client, f"/premises/{premises.id}/wishes", shop_type=code).status_code == 303

    response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type="shop=books")

    assert response.status_code == 422
    assert "You already support 3 shop types here" in field_error(soup(response), "shop_type")
    assert rows(Wish) == 3 and rows(Support) == 3


def test_once_the_cap_is_reached_the_panel_says_so_instead_of_a_form(client, login_as, premises):
    login_as()
    for code in ("shop=bakery", "shop=cheese", "amenity=cafe"):
        post(client, f"/premises/{premises.id}/wishes", shop_type=code)

    panel = soup(client.get(f"/premises/{premises.id}")).select_one(".premises-panel")

    assert not panel.select("form.wish-form")
    assert "the most allowed" in panel.select_one(".barrier").get_text()


# Who may wish


@pytest.mark.parametrize("htmx", [True, False])
def test_a_visitors_wish_is_refused_with_a_sign_in_link(client, premises, htmx):
    response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type=BAKERY)

    if htmx:
        assert response.status_code == 403
        panel = soup(response).select_one(f"section#premises-panel-{premises.id}")
        link = panel.select_one(".barrier a")
        assert link.get_text(strip=True) == "Sign in"
        assert login_location_of(link["href"]) == f"/premises/{premises.id}"
    else:
        assert response.status_code == 303
        assert login_location(response) == ("/auth/login", f"/premises/{premises.id}")
        assert "Sign in to make a wish or support one." in flashes(
            client, response.headers["Location"]
        )
    assert nothing_written()


@pytest.mark.parametrize("htmx", [True, False])
def test_an_unverified_residents_wish_is_refused_with_a_link_to_verify(
    client, login_as, premises, htmx
):
    login_as(verified=False)

    response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type=BAKERY)

    if htmx:
        assert response.status_code == 403
        link = soup(response).select_one(f"#premises-panel-{premises.id} .barrier a")
        assert link["href"] == "/auth/check-email"
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/auth/check-email"
        assert "Confirm your e-mail address to make a wish or support one." in flashes(
            client, "/auth/check-email"
        )
    assert nothing_written()


@pytest.mark.parametrize("role", ["landlord", "moderator", "admin"])
@pytest.mark.parametrize("htmx", [True, False])
def test_staff_and_landlords_do_not_wish(client, login_as, premises, role, htmx):
    login_as(role)

    response = post(client, f"/premises/{premises.id}/wishes", htmx=htmx, shop_type=BAKERY)

    expected = "Only resident accounts make wishes; staff and landlord accounts do not."
    if htmx:
        assert response.status_code == 403
        assert soup(response).select_one(".barrier").get_text(strip=True) == expected
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == f"/premises/{premises.id}"
        assert expected in flashes(client, f"/premises/{premises.id}")
    assert nothing_written()


def test_a_wish_without_csrf_token_is_400_and_writes_nothing(client, login_as, premises):
    login_as()

    for htmx in (False, True):
        response = post(
            client, f"/premises/{premises.id}/wishes", htmx=htmx, token=False, shop_type=BAKERY
        )
        assert response.status_code == 400
    assert nothing_written()


# A wish with a comment awaits review


def test_a_comment_awaits_review_and_counts_once_published(client, login_as, premises):
    author = login_as()
    comment = "Une boulangerie avec du pain au levain, s'il vous plaît"

    response = post(
        client, f"/premises/{premises.id}/wishes", htmx=True, shop_type=BAKERY, comment=comment
    )

    assert response.status_code == 200
    panel = soup(response).select_one(f"#premises-panel-{premises.id}")
    assert "will count once a moderator has read your comment" in panel.select_one(
        ".notice"
    ).get_text(" ")
    pending = panel.select_one(".comment-pending")
    assert pending.select_one(".badge").get_text(strip=True) == "Awaiting review"
    assert pending.select_one(".comment-text").get_text(strip=True) == comment
    assert count_of(premises) == 0 and rows(Support) == 0

    # Nobody else sees a comment a moderator has not read yet.
    login_as()
    other = client.get(f"/premises/{premises.id}")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    visitor = client.get(f"/premises/{premises.id}")
    assert soup(visitor).select_one('header a[href="/auth/login"]')
    for response in (other, visitor):
        text = response.get_data(as_text=True)
        assert "levain" not in text
        assert "Awaiting review" not in text

    wish = db.session.scalars(select(Wish)).one()
    moderation.publish(factories.make_user(Role.MODERATOR), [wish.id])

    assert count_of(premises) == 1
    page = soup(client.get(f"/premises/{premises.id}"))
    assert page.select_one(f"#{button_id(premises)} .support-count").get_text() == "1 resident"
    [shown] = page.select(".comments .comment")
    assert shown.select_one(".comment-text").get_text(strip=True) == comment
    assert author.display_name in shown.select_one(".comment-meta").get_text()


# Supporting and withdrawing


def test_support_by_htmx_flips_the_button_and_announces_the_change(client, login_as, premises):
    wished_by_others(premises, 2)
    login_as()
    page = soup(client.get(f"/premises/{premises.id}"))
    before = page.select_one(f"form#{button_id(premises)}")
    assert before.select_one("button")["aria-pressed"] == "false"

    response = post(client, support_url(premises), htmx=True, next=f"/premises/{premises.id}")

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "demand-changed"
    assert is_fragment(response)
    [form] = soup(response).select("form")
    assert form["id"] == button_id(premises)
    assert form.select_one("button")["aria-pressed"] == "true"
    assert form.select_one(".support-count").get_text() == "3 residents"
    assert form["data-hx-post"] == withdraw_url(premises)
    assert form["action"] == withdraw_url(premises)
    assert rows(Support) == 3

    response = post(client, withdraw_url(premises), htmx=True, next=f"/premises/{premises.id}")

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "demand-changed"
    [form] = soup(response).select("form")
    assert form.select_one("button")["aria-pressed"] == "false"
    assert form.select_one(".support-count").get_text() == "2 residents"
    assert form["data-hx-post"] == support_url(premises)
    assert rows(Support) == 2


def test_support_and_withdraw_by_plain_post_redirect_back_with_a_message(
    client, login_as, premises
):
    wished_by_others(premises, 1)
    login_as()
    back = f"/premises/{premises.id}"

    response = post(client, support_url(premises), next=back)

    assert response.status_code == 303
    assert response.headers["Location"] == back
    assert flashes(client, back) == ["You support Bakery here."]
    assert count_of(premises) == 2

    response = post(client, withdraw_url(premises), next="/premises?type=shop%3Dbakery")

    assert response.status_code == 303
    assert response.headers["Location"] == "/premises?type=shop%3Dbakery"
    assert flashes(client, back) == ["You no longer support Bakery here."]
    assert count_of(premises) == 1


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "", "javascript:x"]
)
def test_support_never_sends_back_to_another_site(client, login_as, premises, target):
    login_as()

    response = post(client, support_url(premises), next=target)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/premises/{premises.id}"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_a_visitor_is_sent_to_sign_in_with_a_local_way_back(client, premises, target):
    response = post(client, support_url(premises), next=target)

    assert response.status_code == 303
    assert login_location(response) == ("/auth/login", f"/premises/{premises.id}")


@pytest.mark.parametrize("htmx", [True, False])
def test_a_double_support_counts_once_and_both_answers_succeed(client, login_as, premises, htmx):
    login_as()

    first = post(client, support_url(premises), htmx=htmx)
    second = post(client, support_url(premises), htmx=htmx)

    assert {first.status_code, second.status_code} == {200 if htmx else 303}
    assert rows(Support) == 1
    if htmx:
        assert soup(second).select_one(".support-count").get_text() == "1 resident"


def test_withdrawing_what_was_never_supported_is_harmless(client, login_as, premises):
    wished_by_others(premises, 1)
    login_as()

    response = post(client, withdraw_url(premises), htmx=True)

    assert response.status_code == 200
    assert soup(response).select_one(".support-count").get_text() == "1 resident"
    assert rows(Support) == 1


def test_withdrawing_ones_own_wish_removes_wish_and_support(client, login_as, premises):
    login_as()
    post(client, f"/premises/{premises.id}/wishes", shop_type=BAKERY, comment="Du bon pain")
    assert rows(Wish) == 1

    response = post(client, withdraw_url(premises))

    assert response.status_code == 303
    assert nothing_written()


@pytest.mark.parametrize("url", [support_url, withdraw_url])
def test_an_unknown_shop_type_in_the_url_is_404(client, login_as, premises, url):
    login_as()
    for htmx in (False, True):
        response = post(client, url(premises, "shop=unicorns"), htmx=htmx)
        assert response.status_code == 404
    assert nothing_written()


@pytest.mark.parametrize("url", [support_url, withdraw_url])
def test_support_without_csrf_token_is_400_and_changes_nothing(client, login_as, premises, url):
    resident = login_as()
    factories.make_support(premises, resident)
    factories.make_support(premises)
    db.session.commit()

    for htmx in (False, True):
        response = post(
            client,
            url(premises, "shop=cheese" if url is support_url else BAKERY),
            htmx=htmx,
            token=False,
        )
        assert response.status_code == 400
    assert rows(Support) == 2


@pytest.mark.parametrize("htmx", [True, False])
def test_a_visitors_support_is_refused_and_nothing_written(client, premises, htmx):
    wished_by_others(premises, 1)

    response = post(client, support_url(premises), htmx=htmx)

    if htmx:
        assert response.status_code == 403
        assert "HX-Trigger" not in response.headers
        form = soup(response).select_one(f"form#{button_id(premises)}")
        assert form.select_one(".support-count").get_text() == "1 resident"
        assert form.select_one(".support-message a").get_text(strip=True) == "Sign in"
    else:
        assert response.status_code == 303
        assert login_location(response) == ("/auth/login", f"/premises/{premises.id}")
        assert "Sign in to make a wish or support one." in flashes(
            client, response.headers["Location"]
        )
    assert rows(Support) == 1


@pytest.mark.parametrize("htmx", [True, False])
def test_an_unverified_residents_support_is_refused(client, login_as, premises, htmx):
    login_as(verified=False)

    response = post(client, support_url(premises), htmx=htmx)

    if htmx:
        assert response.status_code == 403
        link = soup(response).select_one(f"form#{button_id(premises)} .support-message a")
        assert link["href"] == "/auth/check-email"
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/auth/check-email"
    assert nothing_written()


@pytest.mark.parametrize("role", ["landlord", "moderator"])
@pytest.mark.parametrize("url", [support_url, withdraw_url])
@pytest.mark.parametrize("htmx", [True, False])
def test_landlords_and_moderators_do_not_support(client, login_as, premises, role, url, htmx):
    wished_by_others(premises, 1)
    login_as(role)

    response = post(client, url(premises), htmx=htmx)

    if htmx:
        assert response.status_code == 403
        message = soup(response).select_one(f"form#{button_id(premises)} .support-message")
        assert "Only resident accounts make wishes" in message.get_text()
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == f"/premises/{premises.id}"
        assert any("Only resident accounts" in text for text in flashes(client, "/premises"))
    assert rows(Support) == 1


@pytest.mark.parametrize("htmx", [True, False])
def test_supporting_a_fourth_type_is_refused_with_the_cap(client, login_as, premises, htmx):
    resident = login_as()
    for code in ("shop=bakery", "shop=cheese", "amenity=cafe"):
        factories.make_support(premises, resident, code=code)
    factories.make_support(premises, code="shop=books")
    db.session.commit()

    response = post(client, support_url(premises, "shop=books"), htmx=htmx)

    if htmx:
        assert response.status_code == 422
        form = soup(response).select_one(f"form#{button_id(premises, 'shop=books')}")
        assert (
            "You already support 3 shop types here"
            in form.select_one(".support-message").get_text()
        )
        assert form.select_one("button")["aria-pressed"] == "false"
        assert form.select_one(".support-count").get_text() == "1 resident"
    else:
        assert response.status_code == 303
        assert any(
            "You already support 3 shop types here" in text
            for text in flashes(client, f"/premises/{premises.id}")
        )
    assert rows(Support) == 4


@pytest.mark.parametrize("htmx", [True, False])
def test_a_let_premises_takes_no_support(client, login_as, htmx):
    premises = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )
    wished_by_others(premises, 1)
    login_as()

    response = post(client, support_url(premises), htmx=htmx)

    if htmx:
        assert response.status_code == 422
        message = soup(response).select_one(".support-message").get_text()
        assert "has been let" in message
    else:
        assert response.status_code == 303
        assert any("has been let" in text for text in flashes(client, "/premises"))
    assert rows(Support) == 1


# Area wishes


def test_area_wish_form_is_prefilled_from_the_tapped_point(client, login_as):
    login_as()

    response = client.get(
        "/area-wishes/new", query_string={"latitude": "48.87", "longitude": "2.38"}
    )

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("input#latitude")["value"] == "48.87"
    assert page.select_one("input#longitude")["value"] == "2.38"
    assert page.select_one("label[for=latitude]") and page.select_one("label[for=shop_type]")
    assert page.select_one("form#area-wish-form")["action"] == "/area-wishes/new"


@pytest.mark.parametrize("raw", ["abc", "nan", "inf"])
def test_area_wish_form_ignores_a_bad_point_in_the_query(client, login_as, raw):
    login_as()

    response = client.get("/area-wishes/new", query_string={"latitude": raw, "longitude": "2.38"})

    assert response.status_code == 200
    assert soup(response).select_one("input#latitude").get("value", "") in ("", None)


def test_area_wish_for_htmx_is_the_panel_alone(client, login_as):
    login_as()

    response = client.get("/area-wishes/new", query_string=INSIDE, headers=HTMX)

    assert response.status_code == 200
    assert is_fragment(response)
    assert soup(response).select_one("section#area-wish-panel form#area-wish-form")


def test_area_wish_by_plain_post_goes_to_my_wishes(client, login_as):
    login_as()

    response = post(client, "/area-wishes/new", shop_type=BAKERY, **INSIDE)

    assert response.status_code == 303
    assert response.headers["Location"] == "/me/wishes"
    assert flashes(client, "/me/wishes") == [
        "Thank you. Your wish for Bakery around this spot is counted."
    ]
    wish = db.session.scalars(select(Wish)).one()
    assert (wish.premises_id, wish.latitude, wish.longitude) == (None, 48.87, 2.38)
    assert wish.status is WishStatus.PUBLISHED
    assert rows(Support) == 0


def test_area_wish_by_htmx_returns_the_notice_and_announces_it(client, login_as):
    login_as()

    response = post(
        client, "/area-wishes/new", htmx=True, shop_type=BAKERY, comment="Du pain", **INSIDE
    )

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "area-wishes-changed"
    assert is_fragment(response)
    panel = soup(response).select_one("section#area-wish-panel")
    assert "once a moderator has read your comment" in panel.select_one(".notice").get_text(" ")
    assert panel.select_one('a[href="/me/wishes"]')
    assert db.session.scalars(select(Wish)).one().status is WishStatus.PENDING


@pytest.mark.parametrize(
    ("point", "field", "expected"),
    [
        ({"latitude": "47.0", "longitude": "2.38"}, "latitude", "Choose a place inside the town."),
        ({"latitude": "48.87", "longitude": "3.5"}, "longitude", "Choose a place inside the town."),
        ({"latitude": "abc", "longitude": "2.38"}, "latitude", "decimal number"),
        ({"latitude": "48.87", "longitude": "abc"}, "longitude", "decimal number"),
        # Python reads these as floats; the service's bounds check refuses them.
        ({"latitude": "nan", "longitude": "2.38"}, "latitude", "inside the town"),
        ({"latitude": "48.87", "longitude": "nan"}, "longitude", "inside the town"),
        ({"latitude": "inf", "longitude": "2.38"}, "latitude", "inside the town"),
        ({"latitude": "48.87", "longitude": "-inf"}, "longitude", "inside the town"),
        ({"latitude": "1e400", "longitude": "2.38"}, "latitude", "inside the town"),
        ({"latitude": "", "longitude": "2.38"}, "latitude", "Enter a latitude"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_point_is_422_on_its_field_and_writes_nothing(
    client, login_as, point, field, expected, htmx
):
    login_as()

    response = post(client, "/area-wishes/new", htmx=htmx, shop_type=BAKERY, **point)

    assert response.status_code == 422
    assert is_fragment(response) is htmx
    page = soup(response)
    assert [tag["id"] for tag in page.select("[aria-invalid=true]")] == [field]
    assert expected in field_error(page, field)
    assert nothing_written()


@pytest.mark.parametrize("htmx", [True, False])
def test_an_area_wish_with_an_unknown_type_is_422(client, login_as, htmx):
    login_as()

    response = post(client, "/area-wishes/new", htmx=htmx, shop_type="shop=unicorns", **INSIDE)

    assert response.status_code == 422
    assert field_error(soup(response), "shop_type") == "Choose a shop type from the list."
    assert nothing_written()


def test_pinning_the_same_type_again_moves_the_area_wish(client, login_as):
    login_as()

    post(client, "/area-wishes/new", shop_type=BAKERY, latitude="48.87", longitude="2.38")
    post(client, "/area-wishes/new", shop_type=BAKERY, latitude="48.88", longitude="2.39")

    wish = db.session.scalars(select(Wish)).one()
    db.session.refresh(wish)
    assert (wish.latitude, wish.longitude) == (48.88, 2.39)


@pytest.mark.parametrize("htmx", [True, False])
def test_a_visitors_area_wish_is_refused_with_a_sign_in_link(client, htmx):
    response = post(client, "/area-wishes/new", htmx=htmx, shop_type=BAKERY, **INSIDE)

    if htmx:
        assert response.status_code == 403
        link = soup(response).select_one("#area-wish-panel .barrier a")
        assert link.get_text(strip=True) == "Sign in"
        assert urlsplit(login_location_of(link["href"])).path == "/area-wishes/new"
    else:
        assert response.status_code == 303
        path, back = login_location(response)
        assert path == "/auth/login" and urlsplit(back).path == "/area-wishes/new"
    assert nothing_written()


def test_a_visitor_sees_a_sign_in_link_instead_of_the_area_form(client):
    page = soup(client.get("/area-wishes/new", query_string=INSIDE))

    link = page.select_one("#area-wish-panel .barrier a")
    assert link.get_text(strip=True) == "Sign in"
    back = urlsplit(login_location_of(link["href"]))
    assert back.path == "/area-wishes/new"
    assert parse_qs(back.query) == {"latitude": ["48.87"], "longitude": ["2.38"]}
    assert not page.select("form#area-wish-form")


@pytest.mark.parametrize("htmx", [True, False])
def test_an_unverified_residents_area_wish_is_refused_with_a_link_to_verify(client, login_as, htmx):
    login_as(verified=False)

    response = post(client, "/area-wishes/new", htmx=htmx, shop_type=BAKERY, **INSIDE)

    if htmx:
        assert response.status_code == 403
        link = soup(response).select_one("#area-wish-panel .barrier a")
        assert link["href"] == "/auth/check-email"
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/auth/check-email"
    assert nothing_written()


@pytest.mark.parametrize("role", ["landlord", "moderator"])
def test_staff_make_no_area_wish(client, login_as, role):
    login_as(role)

    response = post(client, "/area-wishes/new", htmx=True, shop_type=BAKERY, **INSIDE)

    assert response.status_code == 403
    assert "Only resident accounts" in soup(response).select_one(".barrier").get_text()
    assert nothing_written()


def test_area_wish_without_csrf_token_is_400(client, login_as):
    login_as()

    response = post(client, "/area-wishes/new", token=False, shop_type=BAKERY, **INSIDE)

    assert response.status_code == 400
    assert nothing_written()


# My wishes


def test_my_wishes_asks_a_visitor_to_sign_in(client):
    response = client.get("/me/wishes")

    assert response.status_code == 302
    assert login_location(response) == ("/auth/login", "/me/wishes")


def test_my_wishes_lists_wishes_supports_and_area_wishes_with_their_state(client, login_as):
    resident = login_as()
    here = factories.make_premises(address="3 rue Ramponeau")
    there = factories.make_premises(address="8 rue Dénoyez")
    factories.make_wish(here, resident, comment="Un fournil", status=WishStatus.PENDING)
    factories.make_wish(
        there,
        resident,
        shop_type=factories.shop_type("shop=cheese"),
        comment="Du comté",
        status=WishStatus.REJECTED,
        rejection_reason="Off topic",
    )
    factories.make_support(there, resident, code="amenity=cafe")
    factories.make_wish(
        None, resident, latitude=48.87, longitude=2.38, shop_type=factories.shop_type("shop=books")
    )
    someone_else = factories.make_user()
    factories.make_wish(here, someone_else, comment="Pas à moi", status=WishStatus.PENDING)
    db.session.commit()

    page = soup(client.get("/me/wishes"))

    main = page.select_one("main")
    items = {
        item.select_one("strong").get_text(strip=True): item
        for item in main.select("section[aria-labelledby=supports-title] li.my-wish")
    }
    assert sorted(items) == ["Bakery", "Café", "Cheese shop"]
    pending = next(item for item in items.values() if "Un fournil" in item.get_text())
    assert pending.select_one(".badge-pending").get_text(strip=True) == "Awaiting review"
    assert pending.select_one("a")["href"] == f"/premises/{here.id}"
    rejected = next(item for item in items.values() if "Du comté" in item.get_text())
    assert rejected.select_one(".badge-rejected")
    assert "Off topic" in rejected.get_text()
    [area] = main.select("section[aria-labelledby=area-title] li.my-wish")
    assert area.select_one(".badge-published")
    assert area.select_one("form")["action"] == "/area-wishes/shop=books/withdraw"
    assert "Pas à moi" not in main.get_text()
    for item in main.select("li.my-wish"):
        button = item.select_one("form[method=post] button")
        described = item.select_one(f"#{button['aria-describedby']}")
        assert described is not None


def test_withdraw_buttons_on_my_wishes_remove_what_they_name(client, login_as):
    resident = login_as()
    premises = factories.make_premises()
    factories.make_support(premises, resident)
    factories.make_wish(None, resident, latitude=48.87, longitude=2.38)
    db.session.commit()
    page = soup(client.get("/me/wishes"))
    forms = page.select("main li.my-wish form")
    assert len(forms) == 2

    for form in forms:
        response = client.post(form["action"], data=hidden_fields(form))
        assert response.status_code == 303
        assert response.headers["Location"] == "/me/wishes"

    assert nothing_written()
    page = soup(client.get("/me/wishes"))
    assert not page.select("main li.my-wish")
    texts = [p.get_text(strip=True) for p in page.select(".flashes .flash")]
    assert texts == [
        "You no longer support Bakery here.",
        "Your wish for Bakery around a spot is withdrawn.",
    ]


def test_withdrawing_an_area_wish_is_refused_to_a_visitor(client, premises):
    resident = factories.make_user()
    factories.make_wish(None, resident, latitude=48.87, longitude=2.38)
    db.session.commit()

    response = post(client, f"/area-wishes/{BAKERY}/withdraw", next="//evil.example/")

    assert response.status_code == 303
    assert login_location(response) == ("/auth/login", "/me/wishes")
    assert rows(Wish) == 1


def test_withdrawing_an_area_wish_of_an_unknown_type_is_404(client, login_as):
    login_as()

    assert post(client, "/area-wishes/shop=unicorns/withdraw").status_code == 404


def test_my_wishes_shows_nothing_of_other_residents(client, login_as):
    premises = factories.make_premises()
    factories.make_support(premises)
    factories.make_wish(None, latitude=48.87, longitude=2.38)
    db.session.commit()
    login_as()

    page = soup(client.get("/me/wishes"))

    assert not page.select("main li.my-wish")
    assert "You have not pinned or supported anything yet." in page.select_one("main").get_text()


@pytest.mark.parametrize(
    ("overrides", "target"),
    [({"verified": False}, "/auth/check-email"), ({"role": "moderator"}, "/me/wishes")],
)
def test_a_signed_in_non_resident_withdrawing_an_area_wish_is_not_sent_to_sign_in(
    client, login_as, overrides, target
):
    """Signing in again would not help them: the refusal sends them where it can be fixed."""
    user = login_as(**overrides)
    factories.make_wish(None, user, latitude=48.87, longitude=2.38)
    db.session.commit()

    response = post(client, f"/area-wishes/{BAKERY}/withdraw", next="/me/wishes")

    assert response.status_code == 303
    assert response.headers["Location"] == target
    assert rows(Wish) == 1


def test_a_deactivated_type_takes_no_new_support_but_its_supporters_can_withdraw(
    client, login_as, premises
) -> None:
    resident = login_as()
    butcher = factories.shop_type("shop=butcher")
    factories.make_support(premises, resident)
    factories.make_support(premises, code="shop=butcher")
    factories.shop_type().active = False
    butcher.active = False
    db.session.commit()

    page = soup(client.get(f"/premises/{premises.id}"))
    assert page.select_one(f"#{button_id(premises)} button[aria-pressed=true]")
    assert not page.select_one(f"#{button_id(premises, 'shop=butcher')} button")
    assert post(client, support_url(premises, "shop=butcher")).status_code == 404

    response = post(client, withdraw_url(premises), htmx=True)

    assert response.status_code == 200
    assert count_of(premises) == 0
