"""Who may use each route: one table, every route of the app, every role.

Each row names an endpoint and what each role gets from it:
OK (the page, or the action's own answer), LOGIN (sent to sign in), VERIFY (sent to confirm the
e-mail address), FORBIDDEN (403) or BACK (a plain form sent back where it came from, with the
refusal in a flash message and nothing written). A route missing from the table fails the test.
"""

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from tests import factories
from wishboard.extensions import db
from wishboard.models import (
    AreaFollow,
    OutboxMessage,
    OutboxStatus,
    ProjectHorizon,
    ProjectInterest,
    Role,
    ShopProject,
)
from wishboard.services.demand import freshness
from wishboard.services.people import notifications
from wishboard.services.reports.links import unsubscribe_key
from wishboard.settings import settings as app_settings

OK, LOGIN, VERIFY, FORBIDDEN, BACK = "ok", "login", "verify", "forbidden", "back"
ROLES = ("visitor", "unverified", "resident", "landlord", "entrepreneur", "moderator", "admin")

ANYONE = dict.fromkeys(ROLES, OK)
SIGNED_IN = {**ANYONE, "visitor": LOGIN}
# A link with a bad token: everyone gets the page that explains it.
BAD_TOKEN = dict.fromkeys(ROLES, "ok (400)")
REDIRECT = dict.fromkeys(ROLES, "ok (303)")
# Signing up again while signed in: sent back to the map.
SIGNED_OUT_ONLY = {**REDIRECT, "visitor": OK}
# Wishing and supporting: residents only; the others are told why (resident/views.py _refused).
WISHER = {
    "visitor": LOGIN,
    "unverified": VERIFY,
    "resident": OK,
    "landlord": BACK,
    "entrepreneur": BACK,
    "moderator": BACK,
    "admin": BACK,
}
MODERATORS = {**dict.fromkeys(ROLES, FORBIDDEN), "visitor": LOGIN, "moderator": OK, "admin": OK}
# A premises' report and its pages: its own landlord and staff; nobody else learns it exists (404).
# The table's premises belongs to no landlord; tests/test_landlord_*.py cover owners and keys.
NOT_FOUND = "ok (404)"
REPORT_READERS = {**dict.fromkeys(ROLES, NOT_FOUND), "visitor": LOGIN, "moderator": OK, "admin": OK}
ADMINS = {**MODERATORS, "moderator": FORBIDDEN}
# A project holder's own pages (the table's project belongs to another holder: a 404 there).
PROJECT_HOLDERS = {**dict.fromkeys(ROLES, FORBIDDEN), "visitor": LOGIN, "entrepreneur": OK}
OWN_PROJECT = {**PROJECT_HOLDERS, "entrepreneur": NOT_FOUND}

# (endpoint, method) -> what each role gets.
ACCESS: dict[tuple[str, str], dict[str, str]] = {
    ("static", "GET"): ANYONE,
    ("public.index", "GET"): ANYONE,
    ("public.healthz", "GET"): ANYONE,
    # For browsers and crawlers; the sitemap's parts exist only past 50,000 URLs (a 404 here).
    ("public.robots_txt", "GET"): ANYONE,
    ("public.favicon", "GET"): ANYONE,
    ("public.sitemap", "GET"): ANYONE,
    ("public.sitemap_part", "GET"): dict.fromkeys(ROLES, NOT_FOUND),
    ("public.liveness", "GET"): ANYONE,
    ("public.premises_list", "GET"): ANYONE,
    ("public.premises_detail", "GET"): ANYONE,
    # A window poster's QR code: counts the scan, then sends anyone to the premises.
    ("public.short_link", "GET"): dict.fromkeys(ROLES, "ok (302)"),
    # Open to anyone; the table's URL names no shop type (?type=): the 400 that says so.
    ("public.evidence_sheet", "GET"): dict.fromkeys(ROLES, "ok (400)"),
    ("public.shop_list", "GET"): ANYONE,
    ("public.shop_detail", "GET"): ANYONE,
    # Anyone may ask for a correction of a shop's listing (no account needed).
    ("public.shop_correction", "GET"): ANYONE,
    ("public.shop_correction", "POST"): ANYONE,
    ("public.set_language", "GET"): REDIRECT,
    ("api.premises_geojson", "GET"): ANYONE,
    ("api.premises_clusters_geojson", "GET"): ANYONE,
    ("api.demand_csv", "GET"): ANYONE,
    ("api.area_wishes_geojson", "GET"): ANYONE,
    ("api.shops_geojson", "GET"): ANYONE,
    ("public.gaps", "GET"): ANYONE,
    ("public.opportunities_page", "GET"): ANYONE,
    ("api.opportunities_csv", "GET"): ANYONE,
    ("public.stats", "GET"): ANYONE,
    ("public.open_data", "GET"): ANYONE,
    ("api.gaps_geojson", "GET"): ANYONE,
    ("public.town_feed", "GET"): ANYONE,
    ("public.district_feed", "GET"): ANYONE,
    ("auth.register", "GET"): SIGNED_OUT_ONLY,
    ("auth.register", "POST"): ANYONE,
    ("auth.login", "GET"): ANYONE,
    ("auth.login", "POST"): ANYONE,
    ("auth.logout", "POST"): ANYONE,
    ("auth.check_email", "GET"): ANYONE,
    ("auth.verify", "GET"): BAD_TOKEN,
    # Those already verified are sent on to the map; the others get their link again.
    ("auth.resend_verification", "POST"): {**SIGNED_IN, "unverified": VERIFY},
    ("auth.reset_request", "GET"): ANYONE,
    ("auth.reset_request", "POST"): ANYONE,
    ("auth.reset_sent", "GET"): ANYONE,
    ("auth.reset_password", "GET"): BAD_TOKEN,
    ("auth.reset_password", "POST"): ANYONE,
    ("resident.make_wish", "POST"): WISHER,
    ("resident.support", "POST"): WISHER,
    ("resident.withdraw", "POST"): WISHER,
    ("resident.area_wish", "GET"): ANYONE,  # the page explains who may wish
    ("resident.area_wish", "POST"): WISHER,
    ("resident.withdraw_area_wish", "POST"): WISHER,
    ("resident.my_wishes", "GET"): SIGNED_IN,
    ("resident.account", "GET"): SIGNED_IN,
    ("resident.export_data", "GET"): SIGNED_IN,
    ("resident.notification_settings", "GET"): SIGNED_IN,
    ("resident.notification_settings", "POST"): SIGNED_IN,
    ("resident.follow_district", "POST"): SIGNED_IN,
    ("resident.follow_spot", "POST"): SIGNED_IN,
    # Only one's own areas (someone else's is a 404: tests/test_notifications.py).
    ("resident.unfollow", "POST"): SIGNED_IN,
    # The signed key is the proof: anyone holding the link may stop that person's e-mails.
    ("resident.stop_notifications", "GET"): ANYONE,
    ("resident.stop_notifications", "POST"): ANYONE,
    # The link of a digest that asks whether an old support is still wanted: the key is the proof.
    ("resident.confirm_support", "GET"): ANYONE,
    ("resident.confirm_support", "POST"): ANYONE,
    # From My wishes: one's own support (another's is a 404, tests/test_freshness.py).
    ("resident.confirm_own_support", "POST"): SIGNED_IN,
    ("resident.delete_account", "GET"): SIGNED_IN,
    ("resident.delete_account", "POST"): SIGNED_IN,
    # Reporting a comment: anyone signed in whose address is confirmed.
    ("resident.report", "GET"): {**SIGNED_IN, "unverified": VERIFY},
    ("resident.report", "POST"): {**SIGNED_IN, "unverified": VERIFY},
    # A resident asks to become a project holder; other accounts are told they cannot.
    ("resident.ask_project_role", "POST"): {
        **dict.fromkeys(ROLES, BACK),
        "visitor": LOGIN,
        "unverified": OK,
        "resident": OK,
    },
    ("projects.mine", "GET"): PROJECT_HOLDERS,
    ("projects.create", "GET"): PROJECT_HOLDERS,
    ("projects.create", "POST"): PROJECT_HOLDERS,
    ("projects.edit", "GET"): OWN_PROJECT,
    ("projects.edit", "POST"): PROJECT_HOLDERS,
    ("projects.delete", "POST"): PROJECT_HOLDERS,
    ("projects.premises", "GET"): OWN_PROJECT,
    ("projects.express_interest", "POST"): PROJECT_HOLDERS,
    ("projects.answer_let", "POST"): PROJECT_HOLDERS,
    # The landlord answers a project's interest; staff read the report but do not answer for them.
    ("landlord.answer_interest", "POST"): {
        **dict.fromkeys(ROLES, OK),
        "visitor": LOGIN,
        "moderator": FORBIDDEN,
        "admin": FORBIDDEN,
    },
    ("moderation.matches", "GET"): MODERATORS,
    # The landlord's own list; staff find every premises under /moderation/premises.
    ("landlord.index", "GET"): {
        **dict.fromkeys(ROLES, FORBIDDEN),
        "visitor": LOGIN,
        "landlord": OK,
    },
    ("landlord.report", "GET"): REPORT_READERS,
    ("landlord.report_pdf", "GET"): REPORT_READERS,
    ("landlord.poster_pdf", "GET"): REPORT_READERS,
    ("landlord.report_csv", "GET"): REPORT_READERS,
    ("landlord.mark_let", "GET"): REPORT_READERS,
    # A POST answers 404 too (not told apart from OK for a POST); no data, so nothing changes.
    ("landlord.mark_let", "POST"): SIGNED_IN,
    # Stopping the summaries: whoever holds the signed link of the e-mail (no account needed).
    ("landlord.unsubscribe", "GET"): ANYONE,
    ("landlord.unsubscribe", "POST"): ANYONE,
    ("moderation.queue", "GET"): MODERATORS,
    ("moderation.flags", "GET"): MODERATORS,
    ("moderation.hidden", "GET"): MODERATORS,
    ("moderation.publish", "POST"): MODERATORS,
    ("moderation.reject", "POST"): MODERATORS,
    ("moderation.decide", "POST"): MODERATORS,
    ("moderation.hide", "POST"): MODERATORS,
    ("moderation.unhide", "POST"): MODERATORS,
    ("moderation.keep_hidden", "POST"): MODERATORS,
    ("moderation.dismiss_flags", "POST"): MODERATORS,
    ("moderation.premises_list", "GET"): MODERATORS,
    ("moderation.premises_create", "GET"): MODERATORS,
    ("moderation.premises_create", "POST"): MODERATORS,
    ("moderation.premises_edit", "GET"): MODERATORS,
    ("moderation.premises_poster", "GET"): MODERATORS,
    # The table's URL names no district (?district=): staff get the 400 that says so.
    ("moderation.district_posters", "GET"): {
        **MODERATORS,
        "moderator": "ok (400)",
        "admin": "ok (400)",
    },
    ("moderation.premises_edit", "POST"): MODERATORS,
    ("moderation.premises_let", "GET"): MODERATORS,
    ("moderation.premises_let", "POST"): MODERATORS,
    ("moderation.premises_reopen", "POST"): MODERATORS,
    ("moderation.premises_withdraw", "POST"): MODERATORS,
    ("moderation.premises_import_file", "GET"): MODERATORS,
    ("moderation.premises_import_file", "POST"): MODERATORS,
    ("moderation.audit_log", "GET"): MODERATORS,
    ("moderation.audit_csv", "GET"): MODERATORS,
    ("moderation.outbox_list", "GET"): MODERATORS,
    ("moderation.outbox_retry", "POST"): MODERATORS,
    ("moderation.premises_send_report", "POST"): MODERATORS,
    ("moderation.premises_revoke_links", "POST"): MODERATORS,
    ("moderation.shops_list", "GET"): MODERATORS,
    ("moderation.shop_edit", "GET"): MODERATORS,
    ("moderation.shop_edit", "POST"): MODERATORS,
    ("moderation.shop_contact", "POST"): MODERATORS,
    ("moderation.visibility_list", "GET"): MODERATORS,
    ("moderation.visibility_csv", "GET"): MODERATORS,
    ("moderation.corrections", "GET"): MODERATORS,
    # Done first, then dismissed: the second finds it handled and says so (a notice, no error).
    ("moderation.correction_done", "POST"): MODERATORS,
    ("moderation.correction_dismiss", "POST"): MODERATORS,
    ("admin.users_list", "GET"): ADMINS,
    ("admin.user_detail", "GET"): ADMINS,
    ("admin.change_role", "POST"): ADMINS,
    ("admin.deactivate_user", "POST"): ADMINS,
    ("admin.reactivate_user", "POST"): ADMINS,
    ("admin.shop_types", "GET"): ADMINS,
    ("admin.add_shop_type", "POST"): ADMINS,
    ("admin.shop_type", "GET"): ADMINS,
    ("admin.relabel_shop_type", "POST"): ADMINS,
    ("admin.deactivate_shop_type", "POST"): ADMINS,
    ("admin.reactivate_shop_type", "POST"): ADMINS,
    ("admin.merge_shop_type", "POST"): ADMINS,
}


# What a form needs to be valid, so that only who is asking decides the answer.
# Keys and values may name another URL value in braces: "{reported_wish_id}".
FORM_DATA: dict[str, dict[str, str]] = {
    "resident.make_wish": {"shop_type": "shop=bakery"},
    "public.shop_correction": {
        "name": "Jeanne",
        "email": "jeanne@example.org",
        "message": "The phone number has changed.",
    },
    "resident.report": {"report-{reported_wish_id}-reason": "abusive"},
    "resident.area_wish": {"shop_type": "shop=bakery", "latitude": "48.87", "longitude": "2.38"},
    # Let, then reopened, then withdrawn (the rows run in that order): each a real change.
    "moderation.premises_let": {"shop_type": "shop=bakery", "let_on": "2024-03-01"},
    "moderation.shop_contact": {"contacted_on": "2024-03-01", "outcome": "helped"},
    # The admin rows change an account and a shop type of their own (see url_values).
    "admin.change_role": {"role": "moderator"},
    "admin.add_shop_type": {
        "code": "shop=access_table",
        "label_fr": "Essai",
        "label_en": "Trial",
        "group": "food",
    },
    "admin.relabel_shop_type": {"label_fr": "Essai renommé", "label_en": "Renamed trial"},
    "admin.merge_shop_type": {"target": "shop=bakery", "confirm": "y"},
    "projects.create": {
        "shop_type": "shop=bakery",
        "districts": "{district_id}",
        "horizon": "soon",
        "visibility": "public",
    },
    "projects.edit": {
        "shop_type": "shop=bakery",
        "districts": "{district_id}",
        "horizon": "year",
        "visibility": "private",
    },
}
# URL variables that mean something else for one endpoint.
URL_VALUES: dict[str, dict[str, str]] = {
    "public.set_language": {"code": "en"},
    # The moderation rows hide and unhide the other wish; this one stays published.
    "resident.report": {"wish_id": "{reported_wish_id}"},
    # Its key stops another address than the one "Send now" writes to (the rows share one run).
    "landlord.unsubscribe": {"key": "{unsubscribe_key}"},
    "resident.stop_notifications": {"key": "{notifications_key}"},
    "resident.confirm_support": {"key": "{confirm_key}"},
    # "Send now" needs a landlord address; revoking the links works on any premises.
    "moderation.premises_send_report": {"premises_id": "{contact_premises_id}"},
    # Premises management changes its own premises, not the one the other rows wish for.
    **{
        f"moderation.premises_{action}": {"premises_id": "{managed_premises_id}"}
        for action in ("edit", "let", "reopen", "withdraw")
    },
}


@pytest.fixture
def url_values(app: Flask) -> dict[str, object]:
    """A value for every URL variable of the app, naming real rows."""
    premises = factories.make_premises()
    wish = factories.make_wish(premises, comment="Une boulangerie")
    reported = factories.make_wish(
        premises, comment="Un primeur", shop_type=factories.shop_type("shop=greengrocer")
    )
    managed = factories.make_premises()
    contact = factories.make_premises(landlord_email="contact@example.org")
    failed_mail = OutboxMessage(
        recipient="landlord@example.org",
        subject="Summary",
        body_text="Summary",
        kind="report_summary",
        status=OutboxStatus.FAILED,
    )
    db.session.add(failed_mail)
    account, new_type = factories.make_user(), factories.make_shop_type()
    shop = factories.make_shop()
    correction = factories.make_correction(shop)
    follow = AreaFollow(user_id=account.id, district_id=premises.district_id)
    db.session.add(follow)
    support = factories.make_support(managed, account)
    holder = factories.make_user(role=Role.ENTREPRENEUR)
    project = ShopProject(
        owner=holder,
        shop_type=factories.shop_type("shop=bakery"),
        horizon=ProjectHorizon.SOON,
        districts=[premises.district],
    )
    db.session.add(project)
    db.session.flush()
    interest = ProjectInterest(project_id=project.id, premises_id=premises.id)
    db.session.add(interest)
    db.session.commit()
    return {
        "follow_id": follow.id,
        "premises_id": premises.id,
        "district_id": premises.district_id,
        "shop_id": shop.id,
        "correction_id": correction.id,
        "managed_premises_id": managed.id,
        "contact_premises_id": contact.id,
        "unsubscribe_key": unsubscribe_key("landlord@example.org", app_settings()),
        "notifications_key": notifications.unsubscribe_key(account, app_settings()),
        "confirm_key": freshness.confirm_key(support, app_settings()),
        "support_id": support.id,
        "project_id": project.id,
        "interest_id": interest.id,
        "message_id": failed_mail.id,
        "wish_id": wish.id,
        "reported_wish_id": reported.id,
        "user_id": account.id,
        "shop_type_id": new_type.id,
        "code": "shop=bakery",
        "token": "not-a-token",
        "filename": "css/site.css",
        "part": 1,
    }


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, rule) the app answers, HEAD and OPTIONS aside."""
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_every_route_is_in_the_table(app):
    missing = [(endpoint, method) for endpoint, method, _ in _routes(app)]
    missing = [route for route in missing if route not in ACCESS]
    assert missing == [], "add these routes to ACCESS in tests/test_access.py"
    stale = set(ACCESS) - {(endpoint, method) for endpoint, method, _ in _routes(app)}
    assert stale == set()


def _sign_in(client, role: str) -> None:
    if role == "visitor":
        return
    user = factories.make_user(
        role=Role.RESIDENT if role == "unverified" else Role(role),
        verified=role != "unverified",
    )
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def _outcome(response, client) -> str:
    location = response.headers.get("Location", "")
    with client.session_transaction() as session:
        categories = {category for category, _ in session.pop("_flashes", [])}
    if response.status_code in (302, 303) and location.startswith("/auth/login"):
        return LOGIN
    if response.status_code in (302, 303) and location.startswith("/auth/check-email"):
        return VERIFY
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 303 and "error" in categories:
        return BACK
    assert response.status_code < 500, response.request.path
    if response.request.method == "GET" and response.status_code != 200:
        return f"{OK} ({response.status_code})"
    return OK


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app, url_values, role):
    client = app.test_client()
    _sign_in(client, role)
    page = BeautifulSoup(client.get("/auth/reset").get_data(as_text=True), "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    outcomes = {}
    # Signing out last: it ends the session the other rows rely on.
    for endpoint, method, rule in sorted(_routes(app), key=lambda route: route[0] == "auth.logout"):
        values = {**url_values, **_filled(URL_VALUES.get(endpoint, {}), url_values)}
        response = client.open(
            _fill_converters(rule, values),
            method=method,
            data={"csrf_token": token, **_filled(FORM_DATA.get(endpoint, {}), url_values)},
        )
        outcomes[(endpoint, method)] = _outcome(response, client)
        response.close()
    expected = {route: ACCESS[route][role] for route in outcomes if route in ACCESS}
    assert {route: outcomes[route] for route in expected} == expected


def _filled(template: dict[str, str], values: dict[str, object]) -> dict[str, str]:
    """`template` with the "{name}" placeholders of its keys and values replaced."""
    return {key.format(**values): str(value).format(**values) for key, value in template.items()}


def _fill_converters(url: str, values: dict[str, object]) -> str:
    """Replace `<int(...):name>` and `<path:name>` variables with their values."""
    import re

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m[1]]), url)
