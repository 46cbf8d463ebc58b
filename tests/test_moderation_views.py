"""The moderation pages through the test client: the queue, bulk decisions, reports, hiding.

Each action is exercised as htmx sends it (a fragment back) and as a plain form (a 303 and a flash).
"""

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.test_resident_views import csrf_token, flashes, is_fragment, post, soup
from wishboard.extensions import db
from wishboard.models import Flag, OutboxMessage, Role, Support, Wish, WishStatus
from wishboard.services.demand import moderation


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def queue(app) -> list[Wish]:
    """Three comments awaiting review at one premises, by three residents."""
    premises = factories.make_premises(address="12 rue de Meaux")
    wishes = [
        factories.make_wish(
            premises,
            factories.make_user(display_name=f"Resident {n}"),
            shop_type=factories.shop_type(code),
            comment=f"Comment {n} <script>alert(1)</script>",
            status=WishStatus.PENDING,
        )
        for n, code in enumerate(("shop=bakery", "shop=butcher", "shop=florist"))
    ]
    db.session.commit()
    return wishes


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_queue_shows_each_item_with_its_context(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)
    factories.make_wish(
        queue[0].premises,
        queue[1].author,
        comment="Earlier",
        status="rejected",
        shop_type=factories.shop_type("shop=books"),
    )
    db.session.commit()

    page = soup(client.get("/moderation/"))

    items = page.select("li.queue-item")
    assert [item["id"] for item in items] == [f"wish-{wish.id}" for wish in queue]
    second = items[1]
    assert "Butcher" in second.select_one("h2").get_text()
    assert second.select_one("h2 a")["href"] == f"/premises/{queue[1].premises.id}"
    assert second.select_one("blockquote").get_text() == "Comment 1 <script>alert(1)</script>"
    assert not page.select("blockquote script")
    meta = " ".join(second.select_one(".item-meta").get_text().split())
    assert "By Resident 1 · 0 comments published, 1 rejected" in meta
    tabs = {a.get_text(" ", strip=True) for a in page.select("#moderation-tabs a")}
    assert tabs == {"Awaiting review 3", "Reported 0", "Hidden 0"}


def test_publishing_in_place_with_htmx(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)

    response = post(client, f"/moderation/wishes/{queue[0].id}/publish", htmx=True)

    assert response.status_code == 200 and is_fragment(response)
    item = soup(response).select_one(f"li#wish-{queue[0].id}.decided")
    assert item.select_one("[role=status]").get_text(" ", strip=True).startswith("Published.")
    assert response.headers["HX-Trigger"] == "queue-changed"
    assert queue[0].status is WishStatus.PUBLISHED and rows(Support) == 1


def test_publishing_without_javascript(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)

    response = post(client, f"/moderation/wishes/{queue[0].id}/publish")

    assert response.status_code == 303 and response.headers["Location"] == "/moderation/"
    assert "Published." in flashes(client, "/moderation/")
    assert len(soup(client.get("/moderation/")).select("li.queue-item")) == 2


def test_rejecting_needs_a_reason_and_shows_the_error_in_place(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)
    wish = queue[1]

    response = post(client, f"/moderation/wishes/{wish.id}/reject", htmx=True)

    assert response.status_code == 422
    item = soup(response).select_one(f"li#wish-{wish.id}")
    assert item.select_one(".field-error").get_text() == "Choose a reason or type one."
    assert item.select_one(f"#wish-{wish.id}-reason")["aria-invalid"] == "true"
    assert wish.status is WishStatus.PENDING and rows(OutboxMessage) == 0


def test_rejecting_with_a_typed_reason_tells_the_author(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)
    wish = queue[1]
    data = {f"wish-{wish.id}-reason": "other", f"wish-{wish.id}-reason_text": "Not a shop"}

    response = post(client, f"/moderation/wishes/{wish.id}/reject", **data)

    assert response.status_code == 303
    assert wish.status is WishStatus.REJECTED and wish.rejection_reason == "Not a shop"
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == wish.author.email and "Not a shop" in message.body_text


def test_a_decision_someone_else_took_first_is_explained(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)
    wish = queue[0]
    post(client, f"/moderation/wishes/{wish.id}/publish")
    data = {f"wish-{wish.id}-reason": "abusive"}

    htmx = post(client, f"/moderation/wishes/{wish.id}/reject", htmx=True, **data)
    plain = post(client, f"/moderation/wishes/{wish.id}/reject", **data)

    assert htmx.status_code == 409
    assert "This item was already published." in soup(htmx).get_text()
    assert plain.status_code == 303
    assert "This item was already published." in flashes(client, "/moderation/")
    assert wish.status is WishStatus.PUBLISHED and rows(OutboxMessage) == 0


@pytest.mark.parametrize("htmx", [True, False])
def test_deciding_several_items_at_once(client, login_as, queue, htmx) -> None:
    login_as(Role.MODERATOR)
    chosen = [queue[0].id, queue[2].id]

    response = client.post(
        "/moderation/decide",
        data={
            "wish": chosen,
            "decision": "reject",
            "reason": "advertising",
            "csrf_token": csrf_token(client),
        },
        headers={"HX-Request": "true"} if htmx else {},
    )

    statuses = [wish.status for wish in queue]
    assert statuses == [WishStatus.REJECTED, WishStatus.PENDING, WishStatus.REJECTED]
    assert rows(OutboxMessage) == 2
    if htmx:
        assert response.status_code == 200 and is_fragment(response)
        page = soup(response)
        assert page.select_one("#queue .flash").get_text() == "2 items rejected."
        assert [li["id"] for li in page.select("li.queue-item")] == [f"wish-{queue[1].id}"]
    else:
        assert response.status_code == 303
        assert "2 items rejected." in flashes(client, "/moderation/")


def test_a_bulk_decision_with_nothing_selected_is_a_form_error(client, login_as, queue) -> None:
    login_as(Role.MODERATOR)

    response = post(client, "/moderation/decide", decision="publish")

    assert response.status_code == 422
    assert "Select at least one item." in soup(response).select_one(".error-summary").get_text()
    assert all(wish.status is WishStatus.PENDING for wish in queue)


# Reports


@pytest.fixture
def comment(app) -> Wish:
    wish = factories.make_wish(
        factories.make_premises(), factories.make_user(display_name="Author"), comment="Rude words"
    )
    db.session.commit()
    return wish


def test_a_signed_in_person_reports_a_comment_in_place(client, login_as, comment) -> None:
    login_as()
    place = f"/premises/{comment.premises_id}"
    panel = soup(client.get(place))
    link = panel.select_one(f"a#report-{comment.id}")
    assert link.get_text() == "Report this comment"
    assert link["data-hx-target"] == "this"

    form = client.get(link["data-hx-get"], headers={"HX-Request": "true"})
    assert is_fragment(form) and soup(form).select_one(f"form select#report-{comment.id}-reason")

    response = post(
        client,
        f"/wishes/{comment.id}/report",
        htmx=True,
        **{f"report-{comment.id}-reason": "abusive", f"report-{comment.id}-next": place},
    )

    assert response.status_code == 200 and is_fragment(response)
    box = soup(response).select_one(f"#report-{comment.id}")
    assert "A moderator will read your report." in box.select_one("[role=status]").get_text()
    assert rows(Flag) == 1
    # A way on: Close puts the link back in place; without JavaScript it leads to the premises.
    close = box.select_one("a[data-hx-get]")
    assert close.get_text() == "Close" and close["href"] == place
    closed = client.get(close["data-hx-get"], headers={"HX-Request": "true"})
    assert is_fragment(closed)
    assert soup(closed).select_one(f"a#report-{comment.id}").get_text() == "Report this comment"


def test_cancel_puts_the_report_link_back_in_place(client, login_as, comment) -> None:
    login_as()
    place = f"/premises/{comment.premises_id}"
    link = soup(client.get(place)).select_one(f"a#report-{comment.id}")
    box = soup(client.get(link["data-hx-get"], headers={"HX-Request": "true"}))

    cancel = box.select_one(f"#report-{comment.id} form a")
    assert cancel.get_text() == "Cancel" and cancel["href"] == place
    restored = client.get(cancel["data-hx-get"], headers={"HX-Request": "true"})

    assert restored.status_code == 200 and is_fragment(restored)
    again = soup(restored).select_one(f"a#report-{comment.id}")
    assert again.get_text() == "Report this comment"
    assert again["data-hx-get"] == link["data-hx-get"] and again["href"] == link["href"]
    assert rows(Flag) == 0
    # The same link followed without htmx (Cancel's href is the page) leads back there too.
    plain = client.get(cancel["data-hx-get"])
    assert plain.status_code == 303 and plain.headers["Location"] == place


def test_without_javascript_the_report_page_leads_back_to_the_premises(
    client, login_as, comment
) -> None:
    login_as()
    place = f"/premises/{comment.premises_id}"
    page = soup(client.get(f"/wishes/{comment.id}/report?next={place}"))
    assert page.select_one("html") and page.select_one("form a")["href"] == place
    assert page.select_one("input[name$=next]")["value"] == place

    response = post(
        client,
        f"/wishes/{comment.id}/report",
        **{f"report-{comment.id}-reason": "abusive", f"report-{comment.id}-next": place},
    )

    assert response.status_code == 303 and response.headers["Location"] == place
    assert "Thank you. A moderator will read your report." in flashes(client, place)


def test_reporting_again_before_a_moderator_decided_says_so_and_saves_nothing(
    client, login_as, comment
) -> None:
    reporter = login_as()
    moderation.flag(reporter, comment, "abusive", 3)

    page = soup(client.get(f"/wishes/{comment.id}/report", headers={"HX-Request": "true"}))
    assert "You reported this comment on" in page.select_one("[role=status]").get_text()
    assert (
        page.select_one("form") is None and page.select_one("a[data-hx-get]").get_text() == "Close"
    )

    # A second tab still showing the form: the answer says what happened.
    response = post(
        client,
        f"/wishes/{comment.id}/report",
        htmx=True,
        **{f"report-{comment.id}-reason": "personal"},
    )
    assert response.status_code == 200
    assert soup(response).select_one("[role=status]").get_text() == (
        "You had already reported this comment. A moderator will read your report."
    )
    assert rows(Flag) == 1


def test_after_a_moderator_kept_a_comment_its_reporter_may_report_it_again(
    client, login_as, comment
) -> None:
    moderator = factories.make_user(role=Role.MODERATOR)
    reporter = login_as()
    moderation.flag(reporter, comment, "abusive", 3)
    moderation.dismiss_flags(moderator, comment)

    page = soup(client.get(f"/wishes/{comment.id}/report", headers={"HX-Request": "true"}))
    assert "a moderator decided to keep it" in page.select_one(".notice").get_text()
    assert page.select_one(f"form select#report-{comment.id}-reason")

    response = post(
        client,
        f"/wishes/{comment.id}/report",
        htmx=True,
        **{f"report-{comment.id}-reason": "personal"},
    )

    assert "A moderator will read your report." in soup(response).get_text()
    assert rows(Flag) == 2 and moderation.flagged_count() == 1


def test_the_report_that_hides_a_comment_says_so_and_close_keeps_it_hidden(
    client, app, login_as, comment
) -> None:
    app.config["WISHBOARD_FLAGS_TO_HIDE"] = 1
    login_as()

    response = post(
        client,
        f"/wishes/{comment.id}/report",
        htmx=True,
        **{f"report-{comment.id}-reason": "abusive"},
    )

    assert comment.status is WishStatus.HIDDEN
    box = soup(response).select_one(f"#report-{comment.id}")
    assert "hidden until a moderator" in box.select_one("[role=status]").get_text()
    closed = client.get(
        box.select_one("a[data-hx-get]")["data-hx-get"], headers={"HX-Request": "true"}
    )
    assert closed.status_code == 200
    assert soup(closed).get_text(strip=True) == "Hidden until a moderator decides."


def test_k_reports_hide_the_comment_from_the_premises_page(client, app, comment) -> None:
    app.config["WISHBOARD_FLAGS_TO_HIDE"] = 2
    for _ in range(2):
        reporter = factories.make_user()
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = reporter.get_id()
        response = post(
            client, f"/wishes/{comment.id}/report", **{f"report-{comment.id}-reason": "personal"}
        )
        assert response.status_code == 303

    assert comment.status is WishStatus.HIDDEN
    assert "Rude words" not in client.get(f"/premises/{comment.premises_id}").get_data(as_text=True)
    assert client.get(f"/wishes/{comment.id}/report").status_code == 404


def test_a_report_needs_a_reason_and_a_confirmed_address(client, login_as, comment) -> None:
    login_as()
    response = post(client, f"/wishes/{comment.id}/report")
    assert response.status_code == 422 and rows(Flag) == 0

    login_as(verified=False)
    response = post(
        client, f"/wishes/{comment.id}/report", **{f"report-{comment.id}-reason": "abusive"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/auth/check-email"
    assert rows(Flag) == 0


def test_the_author_cannot_report_their_own_comment(client, comment) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = comment.author.get_id()

    response = post(
        client, f"/wishes/{comment.id}/report", **{f"report-{comment.id}-reason": "abusive"}
    )

    assert response.status_code == 422
    assert "You cannot report your own wish." in soup(response).get_text()
    page = soup(client.get(f"/premises/{comment.premises_id}"))
    assert not page.select(f"#report-{comment.id}")
    assert not page.select(f"#comment-actions-{comment.id}")


def test_the_flags_page_groups_reports_and_a_moderator_decides(
    client, login_as, app, comment
) -> None:
    reporters = [factories.make_user(display_name=f"Reporter {n}") for n in range(3)]
    db.session.commit()
    for reporter, reason in zip(
        reporters, ("abusive", "personal", "Typed <b>reason</b>"), strict=True
    ):
        moderation.flag(reporter, comment, reason, 3)
    login_as(Role.MODERATOR)

    page = soup(client.get("/moderation/flags"))

    [item] = page.select("li.queue-item")
    assert item.select_one(".badge").get_text() == "Hidden"
    reports = [li.get_text(" ", strip=True) for li in item.select(".flag-reports li")]
    assert reports[0].startswith("Insulting, hateful or abusive — Reporter 0")
    assert reports[2].startswith("Typed <b>reason</b> — Reporter 2")

    response = post(client, f"/moderation/wishes/{comment.id}/dismiss-flags", htmx=True)

    assert response.status_code == 200 and is_fragment(response)
    assert comment.status is WishStatus.PUBLISHED
    assert not soup(client.get("/moderation/flags")).select("li.queue-item")


def test_a_moderator_hides_a_comment_from_its_premises_page(client, login_as, comment) -> None:
    login_as(Role.MODERATOR)
    page = soup(client.get(f"/premises/{comment.premises_id}"))
    form = page.select_one(f"#comment-actions-{comment.id} form")
    assert form["action"] == f"/moderation/wishes/{comment.id}/hide"

    response = post(client, form["action"], next=f"/premises/{comment.premises_id}")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/premises/{comment.premises_id}"
    assert comment.status is WishStatus.HIDDEN
    hidden = soup(client.get("/moderation/hidden"))
    assert hidden.select_one(f"li#wish-{comment.id} blockquote").get_text() == "Rude words"
    post(client, f"/moderation/wishes/{comment.id}/unhide")
    assert comment.status is WishStatus.PUBLISHED


def test_a_trusted_residents_comment_skips_the_queue(client, login_as, app) -> None:
    resident = login_as()
    for code in ("shop=bakery", "shop=butcher", "shop=florist"):
        factories.make_wish(
            factories.make_premises(), resident, comment="Fine", shop_type=factories.shop_type(code)
        )
    premises = factories.make_premises()
    db.session.commit()

    post(client, f"/premises/{premises.id}/wishes", shop_type="shop=bakery", comment="Trusted")
    app.config["WISHBOARD_TRUST_RESIDENTS"] = False
    post(client, f"/premises/{premises.id}/wishes", shop_type="shop=butcher", comment="Reviewed")

    query = select(Wish.comment, Wish.status).where(Wish.premises_id == premises.id)
    statuses = {comment: status for comment, status in db.session.execute(query)}
    assert statuses == {"Trusted": WishStatus.PUBLISHED, "Reviewed": WishStatus.PENDING}


def test_my_wishes_shows_the_rejection_reason_in_words(client, login_as) -> None:
    resident = login_as()
    factories.make_wish(
        factories.make_premises(),
        resident,
        comment="Nope",
        status=WishStatus.REJECTED,
        rejection_reason="off_topic",
    )
    db.session.commit()

    page = soup(client.get("/me/wishes"))

    assert "Reason: Not about a shop for this place" in page.select_one("li.my-wish").get_text()
