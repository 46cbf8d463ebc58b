"""The administration pages through the test client: accounts and the shop-type taxonomy."""

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.helpers import csrf_token, soup
from wishboard.extensions import db
from wishboard.models import AuditEvent, Role, ShopType, User

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def admin(login_as) -> User:
    return login_as(Role.ADMIN, display_name="Adèle Admin")


def post(client: FlaskClient, url: str, headers=None, **data):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/auth/reset"), **data}, headers=headers or {}
    )


def flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def fresh(model, row_id: int):
    db.session.expire_all()
    return db.session.get(model, row_id)


# The list of accounts


def test_the_users_page_lists_accounts_with_role_and_state(client, admin):
    factories.make_user(display_name="<b>Bob</b>", email="bob@example.org", active=False)
    factories.make_user(display_name="Carla", verified=False, role=Role.MODERATOR)
    db.session.commit()

    response = client.get("/admin/users")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "Accounts"
    rows = {row.select_one("th a").get_text(strip=True): row for row in page.select("tbody tr")}
    assert set(rows) == {"Adèle Admin", "<b>Bob</b>", "Carla"}
    assert page.select_one("tbody b") is None  # the name is text, not markup
    bob = rows["<b>Bob</b>"]
    assert "bob@example.org" in bob.get_text()
    assert "Deactivated" in bob.get_text()
    assert bob.select_one("form[action$='/reactivate'] button")
    carla = rows["Carla"]
    assert carla.select_one("select[name=role] option[selected]")["value"] == "moderator"
    assert "E-mail not confirmed" in carla.get_text()
    # Every row's role select is labelled, and its forms post without JavaScript too.
    for row in rows.values():
        select_id = row.select_one("select[name=role]")["id"]
        assert row.select_one(f"label[for={select_id}]")
        assert {form["method"] for form in row.select("form")} == {"post"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "CARLA"}, {"Carla"}),
        ({"q": "bob@"}, {"Bob"}),
        ({"role": "moderator"}, {"Carla"}),
        ({"state": "deactivated"}, {"Bob"}),
        ({"role": "admin", "state": "active"}, {"Adèle Admin"}),
    ],
)
def test_search_narrows_the_list(client, admin, query, expected):
    factories.make_user(display_name="Bob", email="bob@example.org", active=False)
    factories.make_user(display_name="Carla", role=Role.MODERATOR)
    db.session.commit()

    page = soup(client.get("/admin/users", query_string=query))

    assert {a.get_text(strip=True) for a in page.select("tbody th a")} == expected
    for name, value in query.items():
        field = page.select_one(f"#user-search [name={name}]")
        chosen = field.get("value") or field.select_one("option[selected]")["value"]
        assert chosen == value


def test_a_search_with_no_match_says_so(client, admin):
    page = soup(client.get("/admin/users?q=nobody"))
    assert page.select_one("table") is None
    assert "No account matches this search." in page.select_one("#user-results").get_text()


@pytest.mark.parametrize("query", ["role=emperor", "state=asleep", "q=" + "x" * 101])
def test_a_bad_search_is_a_400_with_the_error(client, admin, query):
    response = client.get(f"/admin/users?{query}")

    assert response.status_code == 400
    assert soup(response).select_one(".error-summary li a")


@pytest.mark.parametrize("page_arg", ["0", "x", "9"])
def test_a_page_that_does_not_exist_is_a_404(client, admin, page_arg):
    assert client.get(f"/admin/users?page={page_arg}").status_code == 404


def test_the_list_is_paginated_with_the_page_size(app, client, admin):
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    for n in range(3):
        factories.make_user(display_name=f"Zed {n}")
    db.session.commit()

    first = soup(client.get("/admin/users?q=zed"))
    second = soup(client.get("/admin/users?q=zed&page=2"))

    assert [a.get_text() for a in first.select("tbody th a")] == ["Zed 0", "Zed 1"]
    assert [a.get_text() for a in second.select("tbody th a")] == ["Zed 2"]
    assert "page 1 of 2" in first.select_one("h2").get_text()
    assert first.select_one("a[rel=next]")["href"] == "/admin/users?page=2&q=zed"


# Changing a role


def test_a_plain_form_changes_the_role_and_goes_back(client, admin):
    resident = factories.make_user(display_name="Rémi")
    db.session.commit()

    response = post(
        client, f"/admin/users/{resident.id}/role", role="moderator", next="/admin/users?q=r"
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users?q=r"
    assert flashes(client) == [("success", "Rémi is now: Moderator.")]
    assert fresh(User, resident.id).role is Role.MODERATOR
    assert actions() == ["user.role_changed"]


def test_htmx_changes_the_role_in_place(client, admin):
    resident = factories.make_user(display_name="Rémi")
    db.session.commit()

    response = post(
        client, f"/admin/users/{resident.id}/role", HTMX, role="landlord", next="/admin/users"
    )

    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    row = soup(response).select_one(f"tr#user-{resident.id}")
    assert row.select_one("select[name=role] option[selected]")["value"] == "landlord"
    assert row.select_one("[role=status]").get_text(strip=True) == "Rémi is now: Landlord."
    assert row.select_one("input[name=next]")["value"] == "/admin/users"
    assert fresh(User, resident.id).role is Role.LANDLORD


def test_an_unknown_role_is_a_422(client, admin):
    resident = factories.make_user()
    db.session.commit()

    plain = post(client, f"/admin/users/{resident.id}/role", role="emperor")
    htmx = post(client, f"/admin/users/{resident.id}/role", HTMX, role="emperor")

    assert plain.status_code == 422
    page = soup(plain)
    assert page.select_one(".error-summary a[href='#role']")
    assert page.select_one("#role")["aria-invalid"] == "true"
    assert htmx.status_code == 422
    assert soup(htmx).select_one(f"tr#user-{resident.id} .row-error")
    assert fresh(User, resident.id).role is Role.RESIDENT
    assert actions() == []


def test_the_last_admin_cannot_step_down(client, admin):
    plain = post(client, f"/admin/users/{admin.id}/role", role="resident", next="/admin/users")

    assert plain.status_code == 303
    assert plain.headers["Location"] == "/admin/users"
    [(category, message)] = flashes(client)
    assert category == "error"
    assert "Adèle Admin is the last active administrator" in message

    htmx = post(client, f"/admin/users/{admin.id}/role", HTMX, role="resident")
    assert htmx.status_code == 409
    assert "last active administrator" in soup(htmx).select_one("[role=alert]").get_text()
    assert fresh(User, admin.id).role is Role.ADMIN
    assert actions() == []


def test_an_admin_who_steps_down_leaves_the_admin_pages(client, admin):
    factories.make_user(role=Role.ADMIN)
    db.session.commit()

    response = post(client, f"/admin/users/{admin.id}/role", role="moderator")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get("/admin/users").status_code == 403


def test_htmx_sends_an_admin_who_steps_down_to_the_home_page(client, admin):
    factories.make_user(role=Role.ADMIN)
    db.session.commit()

    response = post(client, f"/admin/users/{admin.id}/role", HTMX, role="resident")

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_next_must_stay_on_the_site(client, admin):
    resident = factories.make_user()
    db.session.commit()

    response = post(
        client, f"/admin/users/{resident.id}/role", role="moderator", next="https://evil.example/"
    )

    assert response.headers["Location"] == f"/admin/users/{resident.id}"


def test_without_a_csrf_token_nothing_changes(client, admin):
    resident = factories.make_user()
    db.session.commit()

    response = client.post(f"/admin/users/{resident.id}/role", data={"role": "admin"})

    assert response.status_code == 400
    assert fresh(User, resident.id).role is Role.RESIDENT


def test_an_unknown_account_is_a_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert post(client, "/admin/users/999999/deactivate").status_code == 404


# Deactivating


def test_a_deactivated_user_is_signed_out_at_their_next_request(app, client, admin):
    resident = factories.make_user(display_name="Rose")
    db.session.commit()
    theirs = app.test_client()
    with theirs.session_transaction() as session:
        session["_user_id"] = resident.get_id()
        session["_fresh"] = True
    assert theirs.get("/me").status_code == 200

    response = post(client, f"/admin/users/{resident.id}/deactivate", next="/admin/users")

    assert response.status_code == 303
    assert flashes(client) == [("success", "Rose is deactivated.")]
    signed_out = theirs.get("/me")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/auth/login")
    # Nor can they sign in again.
    login_page = soup(theirs.get("/auth/login"))
    attempt = theirs.post(
        "/auth/login",
        data={
            "csrf_token": login_page.select_one("input[name=csrf_token]")["value"],
            "email": resident.email,
            "password": factories.PASSWORD,
        },
    )
    assert theirs.get("/me").status_code == 302, attempt.status_code
    assert actions() == ["user.deactivated"]


def test_htmx_deactivates_and_reactivates_in_place(client, admin):
    resident = factories.make_user(display_name="Rose")
    db.session.commit()

    off = post(client, f"/admin/users/{resident.id}/deactivate", HTMX, next="/admin/users")
    row = soup(off).select_one(f"tr#user-{resident.id}")
    assert off.status_code == 200 and "<html" not in off.get_data(as_text=True)
    assert "Deactivated" in row.get_text()
    assert row.select_one("form[action$='/reactivate']")

    on = post(client, f"/admin/users/{resident.id}/reactivate", HTMX, next="/admin/users")
    row = soup(on).select_one(f"tr#user-{resident.id}")
    assert row.select_one("[role=status]").get_text(strip=True) == "Rose can sign in again."
    assert row.select_one("form[action$='/deactivate']")
    assert fresh(User, resident.id).active is True
    assert actions() == ["user.deactivated", "user.reactivated"]


def test_the_last_admin_cannot_deactivate_themselves(client, admin):
    plain = post(client, f"/admin/users/{admin.id}/deactivate")
    assert plain.status_code == 303
    assert flashes(client)[0][0] == "error"

    htmx = post(client, f"/admin/users/{admin.id}/deactivate", HTMX)
    assert htmx.status_code == 409
    assert fresh(User, admin.id).active is True
    assert client.get("/admin/users").status_code == 200


def test_the_account_page_shows_facts_forms_and_latest_changes(client, admin):
    resident = factories.make_user(display_name="Rose", email="rose@example.org")
    db.session.commit()
    post(client, f"/admin/users/{resident.id}/role", role="landlord")

    response = client.get(f"/admin/users/{resident.id}")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "Rose"
    assert "rose@example.org" in page.select_one("dl.facts").get_text()
    assert page.select_one("#role option[selected]")["value"] == "landlord"
    assert page.select_one(f"form[action='/admin/users/{resident.id}/deactivate']")
    [change] = page.select("tbody tr")
    assert "Role changed" in change.get_text()
    assert "Adèle Admin" in change.get_text()
    assert "resident" in change.select_one(".audit-change").get_text()


# The taxonomy


def test_the_shop_types_page_lists_types_by_group_with_counts(client, admin):
    premises = factories.make_premises()
    factories.make_support(premises, code="shop=cheese")
    factories.make_support(premises, code="shop=cheese")
    factories.shop_type("shop=books").active = False
    db.session.commit()

    response = client.get("/admin/shop-types")

    assert response.status_code == 200
    page = soup(response)
    captions = [caption.get_text(strip=True) for caption in page.select("table caption")]
    assert captions[0] == "Food" and len(captions) >= 6
    cheese = page.select_one(f"#type-{factories.shop_type('shop=cheese').id}")
    assert [td.get_text(strip=True) for td in cheese.select("td.numeric")] == ["2", "0", "0"]
    books = page.select_one(f"#type-{factories.shop_type('shop=books').id}")
    assert "Deactivated" in books.get_text()
    assert page.select_one("form[action='/admin/shop-types'] #code")


def test_an_admin_adds_a_shop_type(client, admin):
    response = post(
        client,
        "/admin/shop-types",
        code="shop=kombucha",
        label_fr="Kombucha",
        label_en="Kombucha bar",
        group="cafes_restaurants",
    )

    shop_type = db.session.scalars(select(ShopType).where(ShopType.code == "shop=kombucha")).one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/shop-types/{shop_type.id}"
    assert actions() == ["shop_type.created"]
    assert shop_type.group.code == "cafes_restaurants"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "kombucha"}, "code"),
        ({"code": "shop=bakery"}, "code"),
        ({"label_fr": ""}, "label_fr"),
        ({"group": "nowhere"}, "group"),
    ],
)
def test_a_bad_new_type_is_a_422_with_the_error(client, admin, data, field):
    values = {
        "code": "shop=kombucha",
        "label_fr": "Kombucha",
        "label_en": "Kombucha bar",
        "group": "food",
    }
    response = post(client, "/admin/shop-types", **(values | data))

    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f".error-summary a[href='#{field}']")
    assert page.select_one(f"#{field}")["aria-invalid"] == "true"
    assert actions() == []


def test_relabel_a_type(client, admin):
    bakery = factories.shop_type("shop=bakery")

    response = post(
        client,
        f"/admin/shop-types/{bakery.id}/labels",
        label_fr="Boulangerie-pâtisserie",
        label_en="Bakery",
    )

    assert response.status_code == 303
    assert fresh(ShopType, bakery.id).label_fr == "Boulangerie-pâtisserie"
    page = soup(client.get(response.headers["Location"]))
    assert page.select_one("#label_fr")["value"] == "Boulangerie-pâtisserie"
    assert actions() == ["shop_type.relabelled"]


def test_relabel_with_an_empty_name_is_a_422(client, admin):
    bakery = factories.shop_type("shop=bakery")

    response = post(client, f"/admin/shop-types/{bakery.id}/labels", label_fr=" ", label_en="x")

    assert response.status_code == 422
    assert soup(response).select_one(".error-summary a[href='#label_fr']")
    assert fresh(ShopType, bakery.id).label_fr == "Boulangerie"


def test_a_deactivated_type_leaves_the_wish_form_and_its_demand_stays(app, client, admin):
    premises = factories.make_premises()
    factories.make_support(premises, code="shop=cheese")
    resident = factories.make_user()
    db.session.commit()
    cheese = factories.shop_type("shop=cheese")
    theirs = app.test_client()
    theirs.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with theirs.session_transaction() as session:
        session["_user_id"] = resident.get_id()

    response = post(client, f"/admin/shop-types/{cheese.id}/deactivate")

    assert response.status_code == 303
    assert fresh(ShopType, cheese.id).active is False
    public = soup(theirs.get(f"/premises/{premises.id}"))
    assert public.select_one("select[name=shop_type] option[value='shop=bakery']")
    assert public.select_one("select[name=shop_type] option[value='shop=cheese']") is None
    assert "Cheese shop" in public.select_one(".demand-list").get_text()
    assert soup(theirs.get("/")).select_one("#filter-type option[value='shop=cheese']") is None

    post(client, f"/admin/shop-types/{cheese.id}/reactivate")
    assert fresh(ShopType, cheese.id).active is True
    assert actions() == ["shop_type.deactivated", "shop_type.reactivated"]


def test_merge_a_type_into_another(client, admin):
    premises = factories.make_premises()
    resident = factories.make_user()
    factories.make_support(premises, resident, code="shop=pastry")
    factories.make_support(premises, resident, code="shop=bakery")
    factories.make_support(premises, code="shop=pastry")
    db.session.commit()
    pastry, bakery = factories.shop_type("shop=pastry"), factories.shop_type("shop=bakery")

    page = soup(client.get(f"/admin/shop-types/{pastry.id}"))
    choices = [option["value"] for option in page.select("#target option")]
    assert "shop=bakery" in choices and "shop=pastry" not in choices

    response = post(
        client, f"/admin/shop-types/{pastry.id}/merge", target="shop=bakery", confirm="y"
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/shop-types/{bakery.id}"
    [(category, message)] = flashes(client)
    assert category == "success"
    assert "Supports moved: 1." in message and "Duplicates removed: 1." in message
    assert fresh(ShopType, pastry.id).active is False
    assert actions() == ["shop_type.merged"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"target": "shop=bakery"}, "confirm"),
        ({"target": "shop=pastry", "confirm": "y"}, "target"),
        ({"target": "shop=books", "confirm": "y"}, "target"),
        ({"target": "", "confirm": "y"}, "target"),
    ],
)
def test_a_bad_merge_is_a_422_and_changes_nothing(client, admin, data, field):
    factories.shop_type("shop=books").active = False
    db.session.commit()
    pastry = factories.shop_type("shop=pastry")

    response = post(client, f"/admin/shop-types/{pastry.id}/merge", **data)

    assert response.status_code == 422
    assert soup(response).select_one(f".error-summary a[href='#{field}']")
    assert fresh(ShopType, pastry.id).active is True
    assert actions() == []


def test_an_unknown_shop_type_is_a_404(client, admin):
    assert client.get("/admin/shop-types/999999").status_code == 404
    assert post(client, "/admin/shop-types/999999/merge").status_code == 404


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR])
def test_only_admins_get_in(client, login_as, role):
    login_as(role)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/shop-types").status_code == 403
