"""Command-line interface: `wishboard …`, the same as `flask --app wishboard …`.

What the commands print is in the site's default language (BABEL_DEFAULT_LOCALE).
"""

import secrets
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from .models import Role
from .settings import settings


class CommandError(click.ClickException):
    """A one-line error for the person at the terminal, with exit code 2."""

    exit_code = 2


@click.command("demo")
@click.option(
    "--scale",
    type=click.Choice(["town", "city", "metropolis"]),
    default="town",
    show_default=True,
    help="town: the small demo town; city: about 5,000 premises and 200,000 supports; "
    "metropolis: 50,000 premises in 40 districts, 2,000,000 supports and 20,000 shops.",
)
@with_appcontext
def demo_command(scale: str) -> None:
    """Load the demo town (running it again changes nothing)."""
    from .data import demo

    if scale == "city":
        counts = demo.load_city(settings(), progress=_progress)
        click.echo(
            _(
                "City-scale data: %(premises)d premises, %(residents)d residents, "
                "%(supports)d supports, %(area_wishes)d area wishes.",
                **counts,
            )
        )
        return
    if scale == "metropolis":
        counts = demo.load_metropolis(settings(), progress=_progress)
        click.echo(
            _(
                "Metropolis-scale data: %(premises)d premises in %(districts)d districts, "
                "%(residents)d residents, %(supports)d supports, %(area_wishes)d area wishes, "
                "%(shops)d shops.",
                **counts,
            )
        )
        variables = " ".join(
            f"{name}={value}" for name, value in demo.METROPOLIS.map_environment().items()
        )
        click.echo(_("It lies around Paris: serve it with %(variables)s", variables=variables))
        return
    logins = demo.load_demo_town(settings())
    click.echo(_("Demo town loaded. Sign in with:"))
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<32} {login.password}")


def _progress(items, label: str):
    """Wrap an iterable in a progress bar on stderr (stdout keeps the result)."""
    return click.progressbar(items, label=label, show_pos=True, file=sys.stderr)


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
    from .services.people import accounts

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
            settings=settings(),
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

    sent = outbox.deliver(settings().mail)
    click.echo(ngettext("%(num)d e-mail sent.", "%(num)d e-mails sent.", sent))


@click.command("send-reports")
@with_appcontext
def send_reports_command() -> None:
    """E-mail each landlord a demand summary of their premises with new demand (run it daily).

    A premises gets one when its landlord can be reached (a landlord account, or the contact
    address staff entered), has not stopped the summaries, and residents supported something
    there since its last summary. Each summary goes to the outbox first; the e-mails due in the
    outbox are then sent, older failures included. Running it twice at once, or again after a
    crash, sends no summary twice.
    """
    from .services.reports import mail as report_mail

    result = report_mail.send_reports(settings())
    click.echo(ngettext("%(num)d summary queued.", "%(num)d summaries queued.", result.queued))
    if result.skipped:
        click.echo(
            ngettext(
                "%(num)d summary was already done by another run.",
                "%(num)d summaries were already done by another run.",
                result.skipped,
            )
        )
    click.echo(ngettext("%(num)d e-mail sent.", "%(num)d e-mails sent.", result.sent))
    if result.failed:
        click.echo(
            ngettext(
                "%(num)d e-mail could not be sent; it will be retried.",
                "%(num)d e-mails could not be sent; they will be retried.",
                result.failed,
            )
        )


@click.command("send-notifications")
@with_appcontext
def send_notifications_command() -> None:
    """Send each resident one e-mail with what became of their wishes (run daily by cron).

    A premises they supported is let, their comment is published, a support of theirs is old
    enough to be confirmed: each person's news since their last digest goes in one e-mail, at most
    one a day, through the outbox. Running it twice at once, or again the same day, sends no
    e-mail twice. Last, supports left unconfirmed past the grace period stop counting.
    """
    from .services.people import notifications

    run = notifications.send_digests(settings())
    click.echo(
        ngettext("%(num)d old support asked about.", "%(num)d old supports asked about.", run.asked)
    )
    click.echo(ngettext("%(num)d digest queued.", "%(num)d digests queued.", run.digests))
    if run.waiting:
        click.echo(
            ngettext(
                "%(num)d person already had today's digest: their news waits for tomorrow.",
                "%(num)d people already had today's digest: their news waits for tomorrow.",
                run.waiting,
            )
        )
    click.echo(ngettext("%(num)d e-mail sent.", "%(num)d e-mails sent.", run.sent))
    click.echo(
        ngettext(
            "%(num)d support left unconfirmed stopped counting.",
            "%(num)d supports left unconfirmed stopped counting.",
            run.expired,
        )
    )


# Files with fewer rows are checked in a blink: a progress bar would only flicker.
PROGRESS_FROM_ROWS = 500


def _progress_for_large(items, label: str):
    """A progress bar for a long list of rows; a short one goes by without."""
    return _progress(items, label) if len(items) >= PROGRESS_FROM_ROWS else items


# What both import commands take: the file, and --dry-run.
_import_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_dry_run = click.option(
    "--dry-run",
    is_flag=True,
    help="Check the file and say what would change, without writing anything.",
)


@click.command("import-premises")
@_import_file
@_dry_run
@click.option(
    "--create-districts",
    is_flag=True,
    help="Create the districts the file names that do not exist yet (else they are errors).",
)
@with_appcontext
def import_premises_command(file: Path, dry_run: bool, create_districts: bool) -> None:
    """Create or update premises from a CSV or GeoJSON file, matched by reference.

    Every row is checked first; with any problem, each is printed ("line N: …") and nothing is
    written. The README lists the columns.
    """
    from .services.imports import premises as premises_import

    report = _run_import(
        premises_import.import_premises,
        file,
        dry_run=dry_run,
        create_districts=create_districts,
    )
    if report is not None:
        click.echo(_("Premises imported: %(summary)s", summary=report.summary()))


@click.command("import-shops")
@_import_file
@_dry_run
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the good rows even when some have problems (they are listed and left out).",
)
@with_appcontext
def import_shops_command(file: Path, dry_run: bool, skip_invalid: bool) -> None:
    """Create or update directory shops from a CSV file or an OpenStreetMap GeoJSON extract.

    Rows whose type is not one of ours are skipped and listed. Any other problem is printed
    ("feature N: …") and nothing is written, unless --skip-invalid. The README lists the columns.
    """
    from .services.imports import shops as shops_import

    report = _run_import(
        shops_import.import_shops, file, dry_run=dry_run, skip_invalid=skip_invalid
    )
    if report is not None:
        click.echo(_("Shops imported: %(summary)s", summary=report.summary()))


def _run_import(run, file: Path, *, dry_run: bool, **options):
    """Run an import of `file` and print what it says; the report, or None for a dry run.

    Problems, notes and skipped rows go to stderr; a problem that stops the import, or a race
    lost to another change, ends the command with exit code 2 (nothing was written).
    """
    from .services.errors import DomainError

    try:
        report = run(
            None,
            file.read_bytes(),
            file.name,
            bounds=settings().map_bounds,
            dry_run=dry_run,
            progress=_progress_for_large,
            **options,
        )
    except DomainError as error:
        raise CommandError(error.message) from None
    for message in report.messages():
        click.echo(str(message), err=True)
    if not report.ok:
        raise CommandError(
            ngettext(
                "%(num)d problem in the file: nothing was imported.",
                "%(num)d problems in the file: nothing was imported.",
                len(report.problems),
            )
        )
    for line in report.details():
        click.echo(line)
    if dry_run:
        click.echo(_("Dry run, nothing written: %(summary)s", summary=report.summary()))
        return None
    return report


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH while the site runs (PostgreSQL: use pg_dump)."""
    from .extensions import db
    from .services import backup

    try:
        info = backup.backup(db.engine, path, force=force)
    except backup.BackupError as error:
        raise CommandError(str(error)) from None
    click.echo(
        _(
            "Backup written to %(path)s (revision %(revision)s, %(rows)d rows).",
            path=info.path,
            revision=info.revision,
            rows=sum(info.rows.values()),
        )
    )


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (PostgreSQL: use pg_restore)."""
    from .extensions import db
    from .services import backup

    try:
        backup.check_engine(db.engine)
        info = backup.inspect_backup(path)
    except backup.BackupError as error:
        raise CommandError(str(error)) from None
    click.echo(
        _(
            "%(path)s: revision %(revision)s, %(rows)d rows.",
            path=info.path,
            revision=info.revision,
            rows=sum(info.rows.values()),
        )
    )
    if not yes:
        click.confirm(
            _(
                "Every row of the database %(database)s will be replaced by the backup. Continue?",
                database=db.engine.url.database,
            ),
            abort=True,
        )
    try:
        backup.restore(db.engine, path)
    except backup.BackupError as error:
        raise CommandError(str(error)) from None
    click.echo(_("Database restored from %(path)s.", path=path))
    if info.behind:
        click.echo(
            _(
                "The backup's schema is older than this version's: run `wishboard db upgrade`"
                " before starting the site."
            )
        )


def register_commands(app: Flask) -> None:
    """Attach Wishboard's own commands to the app's CLI."""
    commands = (
        demo_command,
        create_user_command,
        load_shop_types_command,
        send_mail_command,
        send_reports_command,
        send_notifications_command,
        import_premises_command,
        import_shops_command,
        backup_command,
        restore_command,
    )
    for command in commands:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Wishboard: manage the database, the demo town and accounts."""


# `python -m wishboard.cli …`: the command where the `wishboard` script is not installed.
if __name__ == "__main__":
    main()
