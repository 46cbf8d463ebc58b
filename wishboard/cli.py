"""Command-line interface: `wishboard …`, the same as `flask --app wishboard …`.

What the commands print is in the site's default language (BABEL_DEFAULT_LOCALE).
"""

import secrets

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from .models import Role


class CommandError(click.ClickException):
    """A one-line error for the person at the terminal, with exit code 2."""

    exit_code = 2


@click.command("demo")
@click.option(
    "--scale",
    type=click.Choice(["town", "city"]),
    default="town",
    show_default=True,
    help="town: the small demo town; city: about 5,000 premises and 200,000 supports.",
)
@with_appcontext
def demo_command(scale: str) -> None:
    """Load the demo town (running it again changes nothing)."""
    from .services import demo

    if scale == "city":
        counts = demo.load_city(progress=_progress)
        click.echo(
            _(
                "City-scale data: %(premises)d premises, %(residents)d residents, "
                "%(supports)d supports, %(area_wishes)d area wishes.",
                **counts,
            )
        )
        return
    logins = demo.load_demo_town()
    click.echo(_("Demo town loaded. Sign in with:"))
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<32} {login.password}")


def _progress(items, label: str):
    """Wrap an iterable in a progress bar on the terminal."""
    return click.progressbar(items, label=label, show_pos=True)


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    default=Role.RESIDENT.value,
    show_default=True,
    help="One of: " + ", ".join(role.value for role in Role) + ".",
)
@click.option("--name", "display_name", default=None, help="Display name (default: the e-mail).")
@click.option(
    "--password",
    default=None,
    help="Password (default: a random one, printed once).",
)
@with_appcontext
def create_user_command(email: str, role: str, display_name: str | None, password: str | None):
    """Create a verified account with the given role."""
    from .services import accounts

    if role not in {member.value for member in Role}:
        choices = ", ".join(member.value for member in Role)
        raise CommandError(
            _("Unknown role %(role)s; choose one of: %(choices)s.", role=role, choices=choices)
        )
    chosen = password or secrets.token_urlsafe(12)
    try:
        user = accounts.create_verified_user(
            email=email,
            role=Role(role),
            password=chosen,
            display_name=display_name or email.split("@")[0],
        )
    except accounts.AccountError as error:
        raise CommandError(str(error)) from None
    click.echo(
        _("Account created: %(email)s, role %(role)s.", email=user.email, role=user.role.value)
    )
    if password is None:
        click.echo(_("Password: %(password)s", password=chosen))


@click.command("load-shop-types")
@with_appcontext
def load_shop_types_command() -> None:
    """Load or update the shop-type taxonomy from the package's data file."""
    from .services import taxonomy

    count = taxonomy.load_shop_types()
    click.echo(ngettext("%(num)d shop type loaded.", "%(num)d shop types loaded.", count))


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the queued e-mails that are due, retrying failed ones (run it every few minutes)."""
    from .services import outbox

    sent = outbox.deliver()
    click.echo(ngettext("%(num)d e-mail sent.", "%(num)d e-mails sent.", sent))


def register_commands(app: Flask) -> None:
    """Attach Wishboard's own commands to the app's CLI."""
    commands = (demo_command, create_user_command, load_shop_types_command, send_mail_command)
    for command in commands:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Wishboard: manage the database, the demo town and accounts."""
