"""The sweep: every HTML page of every role, with real ids, at a phone's and a desktop's size.

One definition for the layout guard (tests/browser/test_layout_guard.py) and for `make
screenshots` (scripts/screenshots.py). The pages come from the access table of
tests/test_access.py: every GET route a role may open (outcome OK) that answers an HTML page, so
a route added to the table is swept without anyone listing it here. A route that answers
something else (a file, JSON, a redirect) must be named in NOT_PAGES: the sweep refuses a page
that is not HTML and says so.

The data set is the demo town plus what the other pages need (a reported and a hidden comment, a
correction request, a failed e-mail, audit events…), with long realistic values (e-mail
addresses, a shop's name) so that a layout that cannot wrap them shows it.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select, update

from tests import factories
from tests.browser import serving
from tests.conftest import FULL_RUN
from tests.test_access import ACCESS, OK, ROLES, URL_VALUES
from wishboard import create_app
from wishboard.config import TestingConfig
from wishboard.data.demo import DEMO_EMAIL_DOMAIN, DEMO_PREMISES_REFERENCE, load_demo_town
from wishboard.extensions import db
from wishboard.models import (
    OutboxMessage,
    OutboxStatus,
    Premises,
    ProjectHorizon,
    ProjectInterest,
    ProjectVisibility,
    Role,
    ShopProject,
    User,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.services.demand import freshness, moderation, wishes
from wishboard.services.people import notifications, users
from wishboard.services.reports.links import unsubscribe_key
from wishboard.settings import settings
from wishboard.settings import settings as app_settings

# name -> (width, height): a common phone, and a laptop.
SIZES: dict[str, tuple[int, int]] = {"360": (360, 740), "1280": (1280, 800)}

# GET routes that answer something else than an HTML page, and what they answer.
NOT_PAGES: dict[str, str] = {
    "static": "static files",
    "public.healthz": "JSON for the load balancer",
    "public.liveness": "JSON for the process supervisor",
    "public.set_language": "a redirect",
    "api.premises_geojson": "GeoJSON",
    "api.premises_clusters_geojson": "GeoJSON",
    "api.area_wishes_geojson": "GeoJSON",
    "api.shops_geojson": "GeoJSON",
    "api.gaps_geojson": "GeoJSON",
    "api.demand_csv": "CSV",
    "api.opportunities_csv": "CSV",
    "public.town_feed": "Atom",
    "public.district_feed": "Atom",
    "landlord.report_pdf": "PDF",
    "landlord.poster_pdf": "PDF",
    "moderation.premises_poster": "PDF",
    "moderation.district_posters": "PDF",
    "public.short_link": "a redirect",
    "public.evidence_sheet": "PDF",
    "landlord.report_csv": "CSV",
    "moderation.audit_csv": "CSV",
    "moderation.visibility_csv": "CSV",
    "resident.export_data": "JSON",
    "public.robots_txt": "text for crawlers",
    "public.favicon": "an icon",
    "public.sitemap": "XML for crawlers",
    "public.sitemap_part": "XML for crawlers",
}
# A page shown for a link with a bad token is the same for everyone: the visitor sees it once.
BAD_TOKEN_OUTCOME = "ok (400)"
# The access table's premises has no landlord, so a landlord gets 404 there; in the sweep the
# landlord opens these pages for a premises of their own.
OWNER_PAGES = ("landlord.report", "landlord.mark_let")
# Likewise the table's project belongs to another holder; in the sweep the holder edits their own.
HOLDER_PAGES = ("projects.edit", "projects.premises")

PASSWORD = factories.PASSWORD
# Long, realistic addresses and names: the layout must wrap them on a phone.
ACCOUNTS: dict[str, dict[str, object]] = {
    "unverified": {
        "email": "jean-baptiste.nouvel-arrivant@habitants-du-haut-belleville.example.org",
        "display_name": "Jean-Baptiste Nouvel-Arrivant",
        "role": Role.RESIDENT,
        "verified": False,
    },
    "resident": {
        "email": "marie-christine.de-la-fontaine-beauregard@habitants-de-belleville.example.org",
        "display_name": "Marie-Christine de La Fontaine-Beauregard",
        "role": Role.RESIDENT,
    },
    "landlord": {
        "email": "gestion-locative.rez-de-chaussee@fonciere-des-faubourgs-parisiens.example.org",
        "display_name": "Société Foncière des Faubourgs Parisiens",
        "role": Role.LANDLORD,
    },
    "entrepreneur": {
        "email": "porteuse-de-projet.boulangerie-au-levain@entreprendre-a-belleville.example.org",
        "display_name": "Hélène Vasseur-Montgolfier",
        "role": Role.ENTREPRENEUR,
    },
    "moderator": {
        "email": "moderation.commerces-de-proximite@mairie-du-dix-neuvieme.example.org",
        "display_name": "Anne-Sophie Lemaire-Dubois",
        "role": Role.MODERATOR,
    },
    "admin": {
        "email": "administration.plateforme-des-souhaits@mairie-du-dix-neuvieme.example.org",
        "display_name": "Jean-François Garnier-Lefebvre",
        "role": Role.ADMIN,
    },
}
LONG_SHOP_NAME = "Boulangerie-Pâtisserie Artisanale du Canal Saint-Martin et des Buttes-Chaumont"
LONG_COMMENT = (
    "Depuis la fermeture de la dernière boulangerie de la rue, les anciens du quartier font "
    "vingt minutes de marche chaque matin : une boulangerie-pâtisserie ici changerait la vie de "
    "tout l'immeuble et des deux écoles d'à côté."
)


@dataclass(frozen=True)
class SweepPage:
    """One page of the sweep: what `role` sees at the route `rule` of `endpoint`."""

    role: str
    endpoint: str
    rule: str

    @property
    def path(self) -> str:
        """The rule with its variables bare: "/premises/<premises_id>"."""
        return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"<\1>", self.rule)

    @property
    def slug(self) -> str:
        """A file name for the page: "premises-premises_id", "index" for "/"."""
        words = re.sub(r"[^a-z0-9_]+", "-", self.path.lower()).strip("-")
        return words or "index"

    def url(self, values: dict[str, object]) -> str:
        """The page's path with the data set's real values, e.g. "/premises/12"."""
        overrides = {
            name: str(value).format(**values)
            for name, value in URL_VALUES.get(self.endpoint, {}).items()
        }
        if self.role == "landlord" and self.endpoint in OWNER_PAGES:
            overrides["premises_id"] = str(values["owned_premises_id"])
        filled = {**values, **overrides}

        def value(match: re.Match) -> str:
            name = match[1]
            if name not in filled:
                raise LookupError(
                    f"The sweep has no value for <{name}> of {self.rule} ({self.endpoint}): "
                    "add a row that has one to load_sweep_town() in tests/browser/sweep.py"
                )
            return str(filled[name])

        return re.sub(r"<([a-z_]+)>", value, self.path)


def _outcome_is_page(endpoint: str, role: str) -> bool:
    """True when the access table says `role` opens `endpoint` as a page."""
    route = (endpoint, "GET")
    if route not in ACCESS:
        raise LookupError(f"{route} is not in ACCESS (tests/test_access.py): add it there")
    outcome = ACCESS[route][role]
    if role == "landlord" and endpoint in OWNER_PAGES:
        return True
    if role == "entrepreneur" and endpoint in HOLDER_PAGES:
        return True
    if outcome == BAD_TOKEN_OUTCOME:
        return role == "visitor"
    return outcome == OK


# A page that every role opens differs between roles by the header's menu alone, which takes
# three forms: a visitor's, a resident's and staff's. The guard checks such a page for these
# three; the landlord's menu is checked on the landlord's own pages, and the unverified
# resident's on the pages only signed-in people open. A staff page differs between a moderator
# and an admin by the staff menu alone, the admin's being the longer: the guard checks it as an
# admin. The screenshots show every role. Staff's menu is the same on every page, and the staff
# pages show it already: `make test` checks a page open to all for a visitor and a resident
# only, the full run of CI (HYPOTHESIS_PROFILE=ci) for an admin too.
OPEN_PAGE_ROLES = ("visitor", "resident", "admin") if FULL_RUN else ("visitor", "resident")
# Likewise a page that residents open besides other signed-in people (the account's pages,
# reporting a comment): `make test` checks it for a resident and an unverified resident, whose
# menu shows nowhere else; CI for every role that opens it. The landlord's, the project holder's
# and staff's menus are checked on their own pages.
RESIDENT_PAGE_ROLES = ROLES if FULL_RUN else ("unverified", "resident")


def _open_to_all(endpoint: str) -> bool:
    return all(ACCESS[(endpoint, "GET")][role] == OK for role in ROLES)


def _guarded(endpoint: str, role: str) -> bool:
    """Whether the guard checks `endpoint` for `role` (see OPEN_PAGE_ROLES, RESIDENT_PAGE_ROLES)."""
    outcomes = ACCESS[(endpoint, "GET")]
    if _open_to_all(endpoint):
        return role in OPEN_PAGE_ROLES
    if outcomes["resident"] == OK and role not in RESIDENT_PAGE_ROLES:
        return False
    if role == "moderator":
        return outcomes["admin"] != OK
    return True


def sweep_pages(
    app: Flask, roles: tuple[str, ...] = ROLES, every_role: bool = False
) -> list[SweepPage]:
    """Every (role, page) to sweep, by role in the order of `roles`, then by path.

    Unless `every_role`, a page open to all is swept for OPEN_PAGE_ROLES only.
    """
    rules = sorted(
        (rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES
    )
    return [
        SweepPage(role, endpoint, rule)
        for role in roles
        for rule, endpoint in rules
        if _outcome_is_page(endpoint, role) and (every_role or _guarded(endpoint, role))
    ]


def sweep_cases(roles: tuple[str, ...] = ROLES) -> Iterator[tuple[SweepPage, str]]:
    """Each page at each size, the sizes of one page one after the other (one load serves both)."""
    # Only the app's routes are read: no database, no data set.
    app = create_app(vars(TestingConfig()))
    for page in sweep_pages(app, roles):
        for size in SIZES:
            yield page, size


# ---------------------------------------------------------------------------------------------
# The data set


def _premises(reference_number: int) -> Premises:
    reference = DEMO_PREMISES_REFERENCE.format(reference_number)
    return db.session.scalars(select(Premises).filter_by(reference=reference)).one()


def _published_comments(premises: Premises) -> list[Wish]:
    return list(
        db.session.scalars(
            select(Wish)
            .where(Wish.premises_id == premises.id, Wish.comment.is_not(None))
            .where(Wish.status == WishStatus.PUBLISHED)
            .order_by(Wish.id)
        )
    )


def load_sweep_town(app: Flask) -> dict[str, object]:
    """Load the sweep's data set into `app`'s empty database; return the values of its URLs.

    The values carry the names of `url_values` in tests/test_access.py, plus the e-mail address
    of each role's account (`emails`).
    """
    with app.app_context():
        load_demo_town(settings())
        accounts = {
            role: factories.make_user(
                email=account["email"],
                display_name=account["display_name"],
                role=account["role"],
                verified=account.get("verified", True),
            )
            for role, account in ACCOUNTS.items()
        }
        resident, moderator, admin = (accounts[r] for r in ("resident", "moderator", "admin"))
        demo_landlord = db.session.scalars(
            select(User).filter_by(email=f"landlord@{DEMO_EMAIL_DOMAIN}")
        ).one()
        db.session.execute(
            update(Premises)
            .where(Premises.landlord_id == demo_landlord.id)
            .values(landlord_id=accounts["landlord"].id)
        )
        # The busiest premises: the longest list of wishes, comments, the landlord's own.
        busiest = _premises(1)
        db.session.commit()

        # The resident supports and wishes, one wish waiting for review, one around a spot.
        max_types = app.config["WISHBOARD_MAX_TYPES_PER_PREMISES"]
        wishes.support(resident, busiest, factories.shop_type("shop=bakery"), max_types)
        wishes.make_wish(
            resident, _premises(2), factories.shop_type("shop=bakery"), LONG_COMMENT, max_types
        )
        wishes.make_area_wish(
            resident,
            busiest.latitude + 0.0005,
            busiest.longitude,
            factories.shop_type("craft=shoemaker"),
            None,
            app.config["WISHBOARD_MAP_BOUNDS"],
        )

        # A project holder's project, with a long pitch, in two districts.
        project = ShopProject(
            owner=accounts["entrepreneur"],
            shop_type=factories.shop_type("shop=bakery"),
            surface_min_m2=40,
            surface_max_m2=120,
            horizon=ProjectHorizon.YEAR,
            pitch=LONG_COMMENT,
            visibility=ProjectVisibility.PUBLIC,
            districts=[busiest.district, _premises(2).district],
        )
        db.session.add(project)
        db.session.flush()
        interest = ProjectInterest(project_id=project.id, premises_id=busiest.id)
        db.session.add(interest)

        # Fresh demand: one old support asked about (the digest's link), one no longer counted.
        asked, lapsed = (
            factories.make_support(_premises(n), resident, code="amenity=cafe") for n in (3, 4)
        )
        for support in (asked, lapsed):
            support.created_at = utcnow() - timedelta(days=400)
        asked.confirmation_asked_at = utcnow() - timedelta(days=2)
        lapsed.counted = False

        # A shop with a long name, a correction asked about it, and a landlord contact.
        shop = factories.make_shop(
            name=LONG_SHOP_NAME,
            address="147 bis avenue Jean-Jaurès",
            phone="01 42 06 00 00",
            website="https://www.boulangerie-patisserie-artisanale-du-canal-saint-martin.example.org/",
            email="commandes.et.renseignements@boulangerie-du-canal-saint-martin.example.org",
            opening_hours="Mo-Sa 07:00-13:30,15:30-20:00; Su 07:30-13:00",
        )
        correction = factories.make_correction(
            shop,
            requester_email="jean-baptiste.poquelin-de-la-villette@habitants-du-quartier.example.org",
            message=LONG_COMMENT,
        )
        contact = _premises(12)

        # Moderation: a reported comment, a hidden one, a decision, a role change (audit rows).
        demo_residents = list(
            db.session.scalars(
                select(User)
                .where(
                    User.role == Role.RESIDENT, User.id.not_in([u.id for u in accounts.values()])
                )
                .order_by(User.id)
            )
        )
        commented = [w for p in range(1, 41) for w in _published_comments(_premises(p))]
        reported, to_hide = commented[0], commented[1]
        flag_limit = app.config["WISHBOARD_FLAGS_TO_HIDE"]
        reporters = [
            u for u in demo_residents if u.id not in (reported.author_id, to_hide.author_id)
        ]
        moderation.flag(reporters[0], reported, "abusive", flag_limit)
        for reporter in reporters[1 : 1 + flag_limit]:
            moderation.flag(reporter, to_hide, "spam", flag_limit)
        pending = db.session.scalars(
            select(Wish).filter_by(status=WishStatus.PENDING).order_by(Wish.id)
        ).first()
        moderation.publish(moderator, [pending.id])
        users.change_role(admin, demo_residents[-1], Role.MODERATOR)
        db.session.commit()

        failed_mail = OutboxMessage(
            recipient=ACCOUNTS["landlord"]["email"],
            subject=f"Les souhaits des habitants pour le {busiest.address} : le récapitulatif",
            body_text="Récapitulatif",
            kind="report_summary",
            status=OutboxStatus.FAILED,
            attempts=8,
            last_error=(
                "SMTPRecipientsRefused: {'gestion-locative.rez-de-chaussee@fonciere-des-faubourgs"
                "-parisiens.example.org': (550, b'5.1.1 <gestion-locative.rez-de-chaussee@"
                "fonciere-des-faubourgs-parisiens.example.org>: Recipient address rejected')}"
            ),
            created_at=utcnow() - timedelta(days=1),
        )
        db.session.add(failed_mail)
        db.session.commit()

        return {
            "emails": {role: str(account["email"]) for role, account in ACCOUNTS.items()},
            "premises_id": busiest.id,
            "premises_address": busiest.address,
            "owned_premises_id": busiest.id,
            "managed_premises_id": busiest.id,
            "contact_premises_id": contact.id,
            "shop_id": shop.id,
            "correction_id": correction.id,
            "wish_id": reported.id,
            "reported_wish_id": reported.id,
            "user_id": resident.id,
            "shop_type_id": factories.shop_type("shop=bakery").id,
            "message_id": failed_mail.id,
            "unsubscribe_key": unsubscribe_key(str(ACCOUNTS["landlord"]["email"]), app_settings()),
            "notifications_key": notifications.unsubscribe_key(resident, app_settings()),
            "confirm_key": freshness.confirm_key(asked, app_settings()),
            "support_id": asked.id,
            "project_id": project.id,
            "interest_id": interest.id,
            "district_id": busiest.district_id,
            "follow_id": 0,
            "code": "fr",
            "token": "not-a-token",
            "filename": "css/site.css",
            "part": 1,
        }


# ---------------------------------------------------------------------------------------------
# In the browser


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` in a background thread; yields its base URL."""
    try:
        with serving.serve(app) as url:
            yield url
    finally:
        with app.app_context():
            db.engine.dispose()


# True once every map of the page is drawn: its pins counted in the status line, each overlay
# in the layers control (map.js adds the area wishes' one only once they have arrived, and the
# control grows with it).
MAPS_DRAWN = """() => [...document.querySelectorAll("[data-map-var]")].every((container) => {
    if (!container.querySelector(".leaflet-control-container")) return false;
    if (container.dataset.geojsonUrl && !document.getElementById("map-status")?.textContent)
        return false;
    const overlays = JSON.parse(container.dataset.layers || "[]").length
        + (container.dataset.areaWishesUrl ? 1 : 0);
    return container.querySelectorAll(".leaflet-control-layers-overlays input").length === overlays;
})"""
# The fonts, then whether the maps are drawn: one round trip for most pages. (Reading a box
# lays the page out first, so a resize needs no wait: the site's scripts do not follow it.)
SETTLED = f"""async () => {{
    await document.fonts.ready;
    return ({MAPS_DRAWN})();
}}"""


def settle(page) -> None:
    """Wait until the page is drawn as a person would see it: laid out, fonts loaded, maps drawn."""
    if not page.evaluate(SETTLED):
        try:
            page.wait_for_function(MAPS_DRAWN, timeout=10_000)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{page.url}: a map did not finish drawing in 10 s (its pins, or an overlay of "
                "its layers control: did a GeoJSON request fail?)"
            ) from None


def sign_in(page, email: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    if page.locator("nav a[href='/me']").count() == 0:
        raise RuntimeError(f"Could not sign in as {email}: still on {page.url}")


class RoleTab:
    """One role's browser tab, in a context of its own (in French unless told, signed in once)."""

    def __init__(
        self, browser, base_url: str, role: str, values: dict[str, object], locale: str = "fr-FR"
    ) -> None:
        width, height = SIZES["360"]
        self.base_url = base_url
        self.role = role
        # The site speaks the browser's language (Accept-Language) when no choice was made.
        self.context = browser.new_context(
            base_url=base_url, locale=locale, viewport={"width": width, "height": height}
        )
        self.page = self.context.new_page()
        if role != "visitor":
            sign_in(self.page, values["emails"][role])

    def show(self, url: str, size: str, reload: bool = False) -> None:
        """`url` at `size`: loaded when the tab shows another page (or `reload`), else resized."""
        width, height = SIZES[size]
        if self.page.viewport_size != {"width": width, "height": height}:
            self.page.set_viewport_size({"width": width, "height": height})
        if reload or self.page.url != self.base_url + url:
            response = self.page.goto(url)
            if response is None or response.request.redirected_from is not None:
                raise AssertionError(f"{url} sent {self.role} on to {self.page.url}")
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/html"):
                raise AssertionError(
                    f"{url} answers {content_type or 'nothing'}, not a page: name its endpoint "
                    "in NOT_PAGES (tests/browser/sweep.py)"
                )
        settle(self.page)

    def close(self) -> None:
        self.context.close()
