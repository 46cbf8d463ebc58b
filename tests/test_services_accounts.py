"""Account rules without a browser: password strength, registration, sign-in, signed links."""

from dataclasses import replace

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.security import check_password_hash

from tests import factories
from tests.helpers import count
from wishboard.config import TEST_PASSWORD_HASH_METHOD, Config
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, Role, User
from wishboard.services import outbox
from wishboard.services.people import accounts
from wishboard.settings import settings as app_settings

GOOD_PASSWORD = "lilac bakery window"


@pytest.fixture
def request_context(app: Flask):
    """Registration builds absolute links, as it does while answering an English visitor."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    ("password", "email", "expected"),
    [
        ("short", None, "at least 10 characters"),
        ("12345678901", None, "digits only"),
        ("ana.lopez@example.org", "Ana.Lopez@example.org", "e-mail address"),
        ("Ana.Lopez", "ana.lopez@example.org", "e-mail address"),
        ("QWERTYUIOP", None, "too common"),
    ],
)
def test_password_problems_name_the_rule(app, password, email, expected):
    with force_locale("en"):
        problems = [str(problem) for problem in accounts.password_problems(password, email)]
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("password", [GOOD_PASSWORD, "ana.lopez-2025!", "0123456789x"])
def test_password_problems_accepts_good_passwords(app, password):
    assert accounts.password_problems(password, "ana.lopez@example.org") == []


def test_register_stores_a_normalized_unverified_resident_and_its_email(request_context):
    # With the site's own hash method (the suite's apps choose a quick one: TestingConfig).
    site = replace(app_settings(), password_hash_method=Config().WISHBOARD_PASSWORD_HASH_METHOD)
    user = accounts.register(" Ana@Example.ORG", "  Ana  ", GOOD_PASSWORD, site)

    db.session.expire_all()
    assert user.email == "ana@example.org"
    assert user.display_name == "Ana"
    assert user.role is Role.RESIDENT
    assert not user.is_verified
    assert user.password_hash != GOOD_PASSWORD
    assert check_password_hash(user.password_hash, GOOD_PASSWORD)
    # Werkzeug's slow hash (the test users of tests/factories.py have a cheap one).
    assert user.password_hash.startswith("scrypt:")
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "ana@example.org"
    assert message.status is OutboxStatus.SENT


def test_register_writes_nothing_when_the_email_cannot_be_queued(request_context, monkeypatch):
    def broken_queue(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "queue", broken_queue)

    with pytest.raises(RuntimeError):
        accounts.register("ana@example.org", "Ana", GOOD_PASSWORD, app_settings())
    db.session.rollback()

    assert count(User) == 0
    assert count(OutboxMessage) == 0


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("TAKEN@example.org", "Ana", GOOD_PASSWORD, "email"),
        ("not an address", "Ana", GOOD_PASSWORD, "email"),
        ("ana@example.org", "x" * 61, GOOD_PASSWORD, "display_name"),
        ("ana@example.org", " ", GOOD_PASSWORD, "display_name"),
        ("ana@example.org", "Ana", "password123", "password"),
    ],
)
def test_register_refuses_bad_accounts(request_context, email, name, password, field):
    factories.make_user(email="taken@example.org")
    db.session.commit()

    with pytest.raises(accounts.AccountError) as raised:
        accounts.register(email, name, password, app_settings())

    assert raised.value.field == field
    db.session.rollback()
    assert count(User) == 1
    assert count(OutboxMessage) == 0


def test_create_verified_user_is_verified_with_its_role(app):
    user = accounts.create_verified_user(
        "Mod@Example.org", Role.MODERATOR, GOOD_PASSWORD, "Mo", app_settings()
    )
    assert user.email == "mod@example.org"
    assert user.role is Role.MODERATOR
    assert user.is_verified
    assert count(OutboxMessage) == 0


def test_authenticate_accepts_the_right_password_and_records_the_time(app):
    user = factories.make_user(email="ana@example.org")
    db.session.commit()

    assert accounts.authenticate("  ANA@example.org ", factories.PASSWORD, app_settings()) == user
    assert user.last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("ana@example.org", "not the password", True),
        ("bo@example.org", factories.PASSWORD, True),
        ("ana@example.org", factories.PASSWORD, False),
    ],
)
def test_authenticate_refuses(app, email, password, active):
    user = factories.make_user(email="ana@example.org", active=active)
    db.session.commit()

    assert accounts.authenticate(email, password, app_settings()) is None
    assert user.last_login_at is None


@pytest.fixture
def checked_hashes(monkeypatch) -> list[str]:
    """The password hashes the accounts service checks, in order."""
    checked = []
    real_check = accounts.check_password_hash

    def spy(password_hash, password):
        checked.append(password_hash)
        return real_check(password_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    return checked


def test_authenticate_checks_a_hash_even_for_an_unknown_email(app, checked_hashes):
    assert accounts.authenticate("nobody@example.org", "whatever it is", app_settings()) is None
    assert len(checked_hashes) == 1


@pytest.mark.parametrize("method", ["scrypt", TEST_PASSWORD_HASH_METHOD])
def test_new_hashes_and_the_unknown_address_s_check_follow_the_settings(
    app, checked_hashes, method
):
    chosen = replace(app_settings(), password_hash_method=method)

    user = accounts.create_verified_user(
        "mo@example.org", Role.MODERATOR, GOOD_PASSWORD, "Mo", chosen
    )
    assert accounts.authenticate("nobody@example.org", GOOD_PASSWORD, chosen) is None

    # "scrypt:32768:8:1$…" (Werkzeug adds scrypt's parameters), "pbkdf2:sha256:1$…"
    prefix = method + ("$" if ":" in method else ":")
    assert user.password_hash.startswith(prefix) and checked_hashes[0].startswith(prefix)


def test_verify_token_round_trip(app):
    user = factories.make_user(verified=False)
    db.session.commit()

    verified, newly = accounts.verify_email(
        accounts.make_verify_token(user, app_settings()), app_settings()
    )

    assert verified == user and newly
    assert user.is_verified
    assert accounts.verify_email(
        accounts.make_verify_token(user, app_settings()), app_settings()
    ) == (user, False)


def test_verify_token_refusals(app):
    user = factories.make_user(verified=False)
    db.session.commit()
    token = accounts.make_verify_token(user, app_settings())

    with pytest.raises(accounts.InvalidToken) as expired:
        accounts.read_verify_token(token, app_settings(), max_age=-1)
    assert expired.value.expired
    with pytest.raises(accounts.InvalidToken) as tampered:
        accounts.read_verify_token(factories.tampered_token(token), app_settings())
    assert not tampered.value.expired
    with pytest.raises(accounts.InvalidToken):
        accounts.read_verify_token(
            accounts.make_reset_token(user, app_settings()), app_settings()
        )  # another salt

    user.email = "new-address@example.org"
    db.session.commit()
    with pytest.raises(accounts.InvalidToken):
        accounts.read_verify_token(token, app_settings())  # made for the former address


def test_reset_token_works_once(app):
    user = factories.make_user()
    db.session.commit()
    token = accounts.make_reset_token(user, app_settings())

    accounts.reset_password(token, GOOD_PASSWORD, app_settings())

    assert check_password_hash(user.password_hash, GOOD_PASSWORD)
    with pytest.raises(accounts.InvalidToken):
        accounts.reset_password(token, "another good password", app_settings())
    assert check_password_hash(user.password_hash, GOOD_PASSWORD)


def test_reset_token_does_not_reveal_the_password_hash(app):
    user = factories.make_user()
    db.session.commit()
    payload = accounts._serializer(accounts.RESET_SALT, app_settings()).loads(
        accounts.make_reset_token(user, app_settings())
    )
    assert payload["pw"] not in user.password_hash


def test_reset_refuses_a_weak_password_and_keeps_the_old_one(app):
    user = factories.make_user()
    db.session.commit()

    with pytest.raises(accounts.AccountError) as raised:
        accounts.reset_password(
            accounts.make_reset_token(user, app_settings()), "1234567890", app_settings()
        )

    assert raised.value.field == "password"
    db.session.rollback()
    assert check_password_hash(user.password_hash, factories.PASSWORD)


def test_reset_token_expires(app):
    user = factories.make_user()
    db.session.commit()
    with pytest.raises(accounts.InvalidToken) as raised:
        accounts.read_reset_token(
            accounts.make_reset_token(user, app_settings()), app_settings(), max_age=-1
        )
    assert raised.value.expired


def test_request_password_reset_queues_a_link_only_for_active_accounts(request_context):
    factories.make_user(email="ana@example.org")
    factories.make_user(email="closed@example.org", active=False)
    db.session.commit()

    accounts.request_password_reset("ANA@example.org", app_settings())
    accounts.request_password_reset("closed@example.org", app_settings())
    accounts.request_password_reset("nobody@example.org", app_settings())

    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "ana@example.org"
    assert "/auth/reset/" in message.body_text
    assert "/auth/reset/" in message.body_html


def test_verification_email_escapes_the_name_in_html_only(request_context):
    accounts.register("ana@example.org", "<b>Ana</b> & co", GOOD_PASSWORD, app_settings())

    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert "Hello <b>Ana</b> & co," in message.body_text
    assert "&lt;b&gt;Ana&lt;/b&gt; &amp; co" in message.body_html
    assert "<b>Ana</b>" not in message.body_html


def test_verification_email_is_written_in_the_visitors_language(app):
    with app.test_request_context(headers={"Accept-Language": "en-GB,en;q=0.9"}):
        accounts.register("ana@example.org", "Ana", GOOD_PASSWORD, app_settings())

    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert '<html lang="en">' in message.body_html
