"""Property tests of the forms and import parsers: any input is a form error or a success.

Hypothesis sends arbitrary text (and the hostile strings of tests/test_hostile_input.py) through
each form, as a plain post and as htmx: the answer is a success (303, or the fragment) or a
refusal (422 with the form's errors, or another 4xx), never a 500, and a refusal writes nothing
(the rows are counted before and after). One entry per form in FORMS.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests import factories
from tests.conftest import examples
from tests.test_hostile_input import HOSTILE, csrf, signed_in
from wishboard.extensions import db
from wishboard.models import (
    AuditEvent,
    Flag,
    OutboxMessage,
    Premises,
    Role,
    ShopType,
    Support,
    User,
    Wish,
)
from wishboard.services.imports import premises as premises_import

# Any text a browser (or a script) can send in a form: every character but lone surrogates.
TEXT = st.one_of(
    st.sampled_from(list(HOSTILE.values())),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=80),
)
NUMBERISH = st.one_of(
    TEXT,
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
# Each example is a few requests on a shared in-memory database: few examples, no deadline.
PROPERTY = settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENGLISH = {"Accept-Language": "en"}


def count(*models) -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


@dataclass
class FormCase:
    """One form: who posts it, where, with which fields, and which tables a refusal leaves."""

    role: str | None
    url: Callable[[dict], str]
    fields: dict[str, st.SearchStrategy]
    tables: tuple = ()
    fixed: dict[str, str] = field(default_factory=dict)


def _world(app: Flask) -> dict:
    """The rows the forms name: a premises, a published comment, a district, a landlord link."""
    factories.make_district("Belleville")
    place = factories.make_premises(landlord_email="owner@example.org")
    wish = factories.make_wish(place, comment="Une boulangerie")
    shop = factories.make_shop()
    db.session.commit()
    return {"premises": place.id, "wish": wish.id, "shop": shop.id}


# One line per form a user can fill. Fields left out keep valid `fixed` values.
FORMS: dict[str, FormCase] = {
    "register": FormCase(
        None,
        lambda w: "/auth/register",
        {"email": TEXT, "display_name": TEXT, "password": TEXT, "confirm": TEXT},
        (User, OutboxMessage),
    ),
    "login": FormCase(
        None,
        lambda w: "/auth/login",
        {"email": TEXT, "password": TEXT, "next": TEXT, "remember": TEXT},
        (User, OutboxMessage),
    ),
    "reset_request": FormCase(None, lambda w: "/auth/reset", {"email": TEXT}, (User,)),
    "wish": FormCase(
        "resident",
        lambda w: f"/premises/{w['premises']}/wishes",
        {"shop_type": TEXT, "comment": TEXT},
        (Wish, Support),
        fixed={"shop_type": "shop=bakery"},
    ),
    "area_wish": FormCase(
        "resident",
        lambda w: "/area-wishes/new",
        {"shop_type": TEXT, "latitude": NUMBERISH, "longitude": NUMBERISH, "comment": TEXT},
        (Wish,),
        fixed={"shop_type": "shop=bakery", "latitude": "48.87", "longitude": "2.38"},
    ),
    "flag": FormCase(
        "resident",
        lambda w: f"/wishes/{w['wish']}/report",
        {"report-{wish}-reason": TEXT, "report-{wish}-reason_text": TEXT},
        (Flag,),
        fixed={"report-{wish}-reason": "other"},
    ),
    "delete_account": FormCase(
        "resident", lambda w: "/me/delete", {"password": TEXT, "understood": TEXT}, (User,)
    ),
    "premises": FormCase(
        "moderator",
        lambda w: "/moderation/premises/new",
        {
            name: NUMBERISH
            for name in (
                "address",
                "postcode",
                "city",
                "district",
                "latitude",
                "longitude",
                "surface_m2",
                "reference",
                "landlord_name",
                "landlord_email",
                "notes",
            )
        },
        (Premises, AuditEvent),
        fixed={
            "address": "1 rue de Belleville",
            "city": "Paris",
            "district": "Belleville",
            "latitude": "48.8722",
            "longitude": "2.381",
        },
    ),
    "staff_let": FormCase(
        "moderator",
        lambda w: f"/moderation/premises/{w['premises']}/let",
        {"shop_type": TEXT, "let_on": NUMBERISH},
        (AuditEvent,),
        fixed={"shop_type": "shop=bakery", "let_on": "2024-03-01"},
    ),
    "shop_type": FormCase(
        "admin",
        lambda w: "/admin/shop-types",
        {"code": TEXT, "label_fr": TEXT, "label_en": TEXT, "group": TEXT},
        (ShopType, AuditEvent),
        fixed={
            "code": "shop=property_test",
            "label_fr": "Essai",
            "label_en": "Trial",
            "group": "food",
        },
    ),
    # The shops directory (issue #6): a correction request from anyone.
    "shop_correction": FormCase(
        None,
        lambda w: f"/shops/{w['shop']}/correction",
        {"name": TEXT, "email": TEXT, "message": TEXT},
        (AuditEvent, OutboxMessage),
        fixed={
            "name": "Ana",
            "email": "ana@example.org",
            "message": "The opening hours are wrong.",
        },
    ),
}


def _client(app: Flask, role: str | None) -> FlaskClient:
    return app.test_client() if role is None else signed_in(app, role)[0]


@pytest.mark.parametrize("name", list(FORMS))
def test_any_input_is_a_form_error_or_a_success_never_a_500(app, name):
    case = FORMS[name]
    world = _world(app)
    client = _client(app, case.role)
    url = case.url(world)
    token = csrf(client)
    keys = {key: key.replace("{wish}", str(world["wish"])) for key in case.fields}

    @PROPERTY
    @given(
        st.fixed_dictionaries({key: strategy for key, strategy in case.fields.items()}),
        st.sampled_from([ENGLISH, {**ENGLISH, "HX-Request": "true"}]),
    )
    def check(values: dict, headers: dict) -> None:
        data = {
            keys.get(k, k).replace("{wish}", str(world["wish"])): v
            for k, v in {**case.fixed, **values}.items()
        }
        db.session.remove()
        before = count(*case.tables)
        response = client.post(url, data={"csrf_token": token, **data}, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
        # 302: a deleted account's client is sent to sign in.
        # 200/204: htmx gets a success in place; 303: a plain form's success; 4xx: a refusal.
        assert response.status_code in (200, 204, 302, 303, 400, 403, 404, 409, 422), (
            response.status_code
        )
        db.session.remove()
        if response.status_code >= 400:
            assert count(*case.tables) == before  # a refusal writes nothing

    check()


# The import parsers: any file is a list of problems or an import, never a half-written one.


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


PREMISES_HEADER = [
    "reference",
    "address",
    "postcode",
    "city",
    "district",
    "latitude",
    "longitude",
    "surface_m2",
    "landlord_name",
    "landlord_email",
    "notes",
]
GOOD_ROW = [
    "A-1",
    "1 rue de Belleville",
    "75019",
    "Paris",
    "Belleville",
    "48.8722",
    "2.381",
    "45",
    "",
    "",
    "",
]
CELL = st.one_of(st.sampled_from(GOOD_ROW), NUMBERISH)
FILES = st.one_of(
    st.binary(max_size=400).map(lambda data: (data, "premises.csv")),
    st.binary(max_size=400).map(lambda data: (data, "premises.geojson")),
    st.lists(st.lists(CELL, min_size=0, max_size=12), max_size=6).map(
        lambda rows: (_csv([PREMISES_HEADER, GOOD_ROW, *rows]), "premises.csv")
    ),
    st.recursive(
        st.none() | st.booleans() | st.floats() | TEXT,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["type", "features", "geometry", "properties", "coordinates", *PREMISES_HEADER]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=12,
    ).map(lambda doc: (json.dumps(doc).encode(), "premises.geojson")),
)


def test_any_premises_file_is_problems_or_a_whole_import(app):
    factories.make_district("Belleville")
    db.session.commit()

    @PROPERTY
    @given(FILES, st.booleans())
    def check(file: tuple[bytes, str], create_districts: bool) -> None:
        data, filename = file
        (before,) = count(Premises)
        report = premises_import.import_premises(
            None, data, filename, create_districts=create_districts
        )
        if report.problems:
            assert not db.session.new  # nothing half-added
            db.session.rollback()
            assert count(Premises) == (before,)
        else:
            db.session.commit()
            assert count(Premises) == (before + report.created,)

    check()


def test_any_premises_upload_answers_without_a_500(app):
    factories.make_district("Belleville")
    db.session.commit()
    client = signed_in(app, Role.MODERATOR)[0]
    token = csrf(client)

    @PROPERTY
    @given(FILES, st.sampled_from(["run", "check"]))
    def check(file: tuple[bytes, str], button: str) -> None:
        data, filename = file
        db.session.remove()
        before = count(Premises, AuditEvent)
        response = client.post(
            "/moderation/premises/import",
            data={"csrf_token": token, "file": (io.BytesIO(data), filename), button: "x"},
            content_type="multipart/form-data",
            headers=ENGLISH,
        )
        assert response.status_code in (200, 303, 413, 422), response.status_code
        db.session.remove()
        if response.status_code != 303 or button == "check":
            assert count(Premises, AuditEvent) == before

    check()
