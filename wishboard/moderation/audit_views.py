"""The audit log: every moderation action, premises change and role change, filterable, as CSV."""

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from ..forms.audit import ACTION_LABELS, AuditFilterForm
from ..htmx import render
from ..services import audit
from ..services.csv_export import csv_bytes, csv_filename
from ..urls import csv_variant, page_number
from . import bp


def _refused(form: AuditFilterForm) -> ResponseReturnValue:
    """Filters that make no sense: the page with their errors, as a 400."""
    return render(
        "moderation/audit.html",
        status=400,
        form=form,
        page=None,
        filter_args={},
        objects={},
        action_labels=ACTION_LABELS,
    )


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """Every audit event matching the filters, newest first, page by page."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        return _refused(form)
    config = current_app.config
    page = audit.events(
        form.filters(config["WISHBOARD_TIMEZONE"]), page_number(), config["WISHBOARD_PAGE_SIZE"]
    )
    return render(
        "moderation/audit.html",
        form=form,
        page=page,
        filter_args=form.url_args(),
        objects=audit.objects_of(page.items),
        action_labels=ACTION_LABELS,
    )


@bp.get("/audit.csv")
def audit_csv() -> ResponseReturnValue:
    """The events matching the filters as a CSV file (every page), newest first."""
    variant = csv_variant()
    form = AuditFilterForm(request.args)
    if not form.validate():
        return _refused(form)
    selected = form.filters(current_app.config["WISHBOARD_TIMEZONE"])
    body = csv_bytes(audit.CSV_HEADER, audit.event_rows(selected), variant, str(get_locale()))
    filename = csv_filename("audit-log", variant)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
