"""`wishboard create-user`: staff accounts from the command line."""

from flask_babel import force_locale
from sqlalchemy import select

from tests import factories
from wishboard.extensions import db
from wishboard.models import Role, User
from wishboard.services.people import accounts
from wishboard.settings import settings as app_settings


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


def test_create_user_makes_a_verified_account_with_the_role(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "Mod@Example.org",
            "--role",
            "moderator",
            "--name",
            "Mo",
            "--password",
            "lilac bakery window",
        ]
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Compte créé\u00a0: mod@example.org, rôle moderator."
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.role, user.display_name) == ("mod@example.org", Role.MODERATOR, "Mo")
    assert user.is_verified
    assert accounts.authenticate("mod@example.org", "lilac bakery window", app_settings()) == user


def test_create_user_prints_a_random_password_once(runner):
    result = runner.invoke(args=["create-user", "ana@example.org"])

    assert result.exit_code == 0, result.output
    [password_line] = [line for line in result.output.splitlines() if "passe" in line]
    password = password_line.split()[-1]
    user = accounts.authenticate("ana@example.org", password, app_settings())
    assert user is not None and user.role is Role.RESIDENT


def test_create_user_with_an_unknown_role_fails_with_one_error_line(runner):
    result = runner.invoke(args=["create-user", "ana@example.org", "--role", "mayor"])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: Rôle inconnu mayor\u00a0; "
        "choisissez parmi\u00a0: resident, landlord, moderator, admin, entrepreneur."
    ]
    assert db.session.scalars(select(User)).all() == []


def test_create_user_with_a_taken_email_fails(runner):
    factories.make_user(email="ana@example.org")
    db.session.commit()

    result = runner.invoke(args=["create-user", "ANA@example.org", "--role", "admin"])

    assert result.exit_code == 2
    # The command speaks the site's default language, French.
    assert result.output.strip().splitlines() == [
        "Error: Un compte utilise déjà cette adresse e-mail."
    ]
    assert len(db.session.scalars(select(User)).all()) == 1


def test_create_user_with_a_weak_password_fails(runner):
    with force_locale("en"):
        result = runner.invoke(args=["create-user", "ana@example.org", "--password", "1234567890"])

    assert result.exit_code == 2
    [error] = error_lines(result.output)
    assert "digits only" in error
    assert db.session.scalars(select(User)).all() == []
