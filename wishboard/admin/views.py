"""Administrators' pages: accounts and roles, and the shop-type taxonomy."""

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import require_role
from ..extensions import db
from ..forms.audit import ACTION_LABELS
from ..htmx import after_change, fragment_or_page, go_to, render
from ..models import Role, ShopType, ShopTypeGroup, User
from ..redirects import local_path
from ..services import audit, taxonomy
from ..services.people import projects, users
from ..urls import LARGEST_ID, page_number
from . import bp
from .forms import (
    ROLE_LABELS,
    ActionForm,
    MergeForm,
    RelabelForm,
    RoleForm,
    ShopTypeForm,
    UserSearchForm,
)

bp.before_request(require_role(Role.ADMIN))

# How many of the latest events about an account its page shows.
RECENT_EVENTS = 10


# Accounts


@bp.get("/users")
def users_list() -> ResponseReturnValue:
    """Every account, or those matching the search, page by page, each with its actions."""
    form = UserSearchForm(request.args)
    if not form.validate():
        return render(
            "admin/users.html", status=400, form=form, page=None, filter_args={}, askers=[]
        )
    page = db.paginate(
        users.search_users(form.search()),
        page=page_number(),
        per_page=current_app.config["WISHBOARD_PAGE_SIZE"],
        max_per_page=None,
        error_out=True,
    )
    return render(
        "admin/users.html",
        form=form,
        page=page,
        search=form.search(),
        filter_args=form.url_args(),
        back=request.full_path.rstrip("?"),
        role_labels=ROLE_LABELS,
        askers=projects.askers(),
    )


@bp.get(f"/users/<int(max={LARGEST_ID}):user_id>")
def user_detail(user_id: int) -> ResponseReturnValue:
    """One account: its facts, its role and state to change, and the latest events about it."""
    return _user_page(_load_user(user_id))


@bp.post(f"/users/<int(max={LARGEST_ID}):user_id>/role")
def change_role(user_id: int) -> ResponseReturnValue:
    """Give an account another role (in place with htmx, or a plain form and a 303)."""
    user = _load_user(user_id)
    form = RoleForm()
    back = _back(form.next.data, user)
    if not form.validate_on_submit():
        return _invalid(user, back, form)
    role = Role(form.role.data)
    try:
        changed = users.change_role(current_user, user, role)
    except users.UserChangeRefused as error:
        return _refused(user, back, error.message)
    if changed:
        notice = _(
            "%(name)s is now: %(role)s.", name=user.display_name, role=ROLE_LABELS[user.role]
        )
    else:
        notice = _(
            "%(name)s already was: %(role)s.", name=user.display_name, role=ROLE_LABELS[user.role]
        )
    return _after_user_change(user, back, notice)


@bp.post(f"/users/<int(max={LARGEST_ID}):user_id>/deactivate")
def deactivate_user(user_id: int) -> ResponseReturnValue:
    """Deactivate an account: it can no longer sign in, and its sessions end."""
    return _switch_user(
        user_id, users.deactivate, lambda name: _("%(name)s is deactivated.", name=name)
    )


@bp.post(f"/users/<int(max={LARGEST_ID}):user_id>/reactivate")
def reactivate_user(user_id: int) -> ResponseReturnValue:
    """Let a deactivated account sign in again."""
    return _switch_user(
        user_id, users.reactivate, lambda name: _("%(name)s can sign in again.", name=name)
    )


def _switch_user(
    user_id: int, action: Callable[[User, User], bool], notice: Callable[[str], str]
) -> ResponseReturnValue:
    """Run `action(actor, user)` from a one-button form, and answer like every user change."""
    user = _load_user(user_id)
    form = ActionForm()
    back = _back(form.next.data, user)
    if not form.validate_on_submit():
        return _invalid(user, back, form)
    try:
        action(current_user, user)
    except users.UserChangeRefused as error:
        return _refused(user, back, error.message)
    return _after_user_change(user, back, notice(user.display_name))


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _back(target: str | None, user: User) -> str:
    """Where a plain form returns to: the page it came from, or the account's page."""
    return local_path(target) or url_for("admin.user_detail", user_id=user.id)


def _user_row(
    user: User, back: str, status: int = 200, message: str | None = None, error: bool = False
) -> ResponseReturnValue:
    """The account's row of the users table, as htmx swaps it in place."""
    return render(
        "admin/_user_row.html",
        status=status,
        user=user,
        back=back,
        message=message,
        error=error,
        role_labels=ROLE_LABELS,
    )


def _user_page(user: User, status: int = 200, role_form: RoleForm | None = None):
    """The account's page, with the role form's errors when it was refused."""
    about = audit.AuditFilter(object_type=audit.USER, object_id=user.id)
    back = url_for("admin.user_detail", user_id=user.id)
    if role_form is None:
        role_form = RoleForm(formdata=None, data={"role": user.role.value, "next": back})
    return render(
        "admin/user.html",
        status=status,
        user=user,
        role_form=role_form,
        switch_form=ActionForm(formdata=None, data={"next": back}),
        recent=audit.events(about, 1, RECENT_EVENTS).items,
        action_labels=ACTION_LABELS,
        role_labels=ROLE_LABELS,
    )


def _invalid(user: User, back: str, form) -> ResponseReturnValue:
    """A form that did not validate: the row with the errors for htmx, else the account's page."""
    message = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return fragment_or_page(
        lambda: _user_row(user, back, status=422, message=message, error=True),
        lambda: _user_page(
            user, status=422, role_form=form if isinstance(form, RoleForm) else None
        ),
    )


def _refused(user: User, back: str, message: str) -> ResponseReturnValue:
    """A change the rules refused: the reason in the row (409) for htmx, else flashed."""
    return after_change(
        back,
        message,
        lambda: _user_row(user, back, status=409, message=message, error=True),
        category="error",
    )


def _after_user_change(user: User, back: str, notice: str) -> ResponseReturnValue:
    """After a change: the updated row, or the notice and a 303; the home page if one left."""
    if not current_user.is_authenticated or not current_user.has_role(Role.ADMIN):
        # The administrator stepped down or deactivated themselves: these pages are closed now.
        flash(notice, "success")
        return go_to(url_for("public.index"))
    return after_change(back, notice, lambda: _user_row(user, back, message=notice))


# The shop-type taxonomy


@bp.get("/shop-types")
def shop_types() -> ResponseReturnValue:
    """Every shop type by group, with what rests on it, and the form to add one."""
    return _shop_types_page(ShopTypeForm(_locale(), formdata=None))


@bp.post("/shop-types")
def add_shop_type() -> ResponseReturnValue:
    """Add a shop type residents can wish for."""
    form = ShopTypeForm(_locale())
    if form.validate_on_submit():
        group = db.session.scalars(
            select(ShopTypeGroup).where(ShopTypeGroup.code == form.group.data)
        ).one()
        try:
            shop_type = taxonomy.add_shop_type(
                current_user, form.code.data, form.label_fr.data, form.label_en.data, group
            )
        except taxonomy.TaxonomyError as error:
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            flash(_("The shop type %(code)s is added.", code=shop_type.code), "success")
            return redirect(url_for("admin.shop_type", shop_type_id=shop_type.id), 303)
    return _shop_types_page(form, status=422)


@bp.get(f"/shop-types/<int(max={LARGEST_ID}):shop_type_id>")
def shop_type(shop_type_id: int) -> ResponseReturnValue:
    """One shop type: rename it, deactivate or reactivate it, merge it into another."""
    return _shop_type_page(_load_shop_type(shop_type_id))


@bp.post(f"/shop-types/<int(max={LARGEST_ID}):shop_type_id>/labels")
def relabel_shop_type(shop_type_id: int) -> ResponseReturnValue:
    """Rename a shop type in French and English."""
    shop_type = _load_shop_type(shop_type_id)
    form = RelabelForm()
    if form.validate_on_submit():
        try:
            changed = taxonomy.relabel_shop_type(
                current_user, shop_type, form.label_fr.data, form.label_en.data
            )
        except taxonomy.TaxonomyError as error:
            getattr(form, error.field or "label_fr").errors.append(error.message)
        else:
            notice = _("The names are saved.") if changed else _("The names were already these.")
            flash(notice, "success")
            return redirect(url_for("admin.shop_type", shop_type_id=shop_type.id), 303)
    return _shop_type_page(shop_type, status=422, relabel_form=form)


@bp.post(f"/shop-types/<int(max={LARGEST_ID}):shop_type_id>/deactivate")
def deactivate_shop_type(shop_type_id: int) -> ResponseReturnValue:
    """Take a shop type out of the wish forms; its demand stays."""
    return _switch_shop_type(
        shop_type_id,
        False,
        lambda code: _("Residents can no longer choose %(code)s; its demand stays.", code=code),
    )


@bp.post(f"/shop-types/<int(max={LARGEST_ID}):shop_type_id>/reactivate")
def reactivate_shop_type(shop_type_id: int) -> ResponseReturnValue:
    """Let residents choose a shop type again."""
    return _switch_shop_type(
        shop_type_id, True, lambda code: _("Residents can choose %(code)s again.", code=code)
    )


def _switch_shop_type(
    shop_type_id: int, active: bool, notice: Callable[[str], str]
) -> ResponseReturnValue:
    shop_type = _load_shop_type(shop_type_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _shop_type_page(shop_type, status=422)
    taxonomy.set_shop_type_active(current_user, shop_type, active)
    flash(notice(shop_type.code), "success")
    return redirect(url_for("admin.shop_type", shop_type_id=shop_type.id), 303)


@bp.post(f"/shop-types/<int(max={LARGEST_ID}):shop_type_id>/merge")
def merge_shop_type(shop_type_id: int) -> ResponseReturnValue:
    """Merge a shop type into another: its supports, wishes and shops move, nobody twice."""
    source = _load_shop_type(shop_type_id)
    form = MergeForm(source, _locale())
    if form.validate_on_submit():
        target = db.session.scalars(select(ShopType).where(ShopType.code == form.target.data)).one()
        try:
            result = taxonomy.merge_shop_types(current_user, source, target)
        except taxonomy.TaxonomyError as error:
            form.target.errors.append(error.message)
        else:
            flash(
                _(
                    "%(source)s is merged into %(target)s. Supports moved: %(supports)d. "
                    "Wishes moved: %(wishes)d. Shops moved: %(shops)d. "
                    "Duplicates removed: %(duplicates)d.",
                    source=source.code,
                    target=target.code,
                    supports=result.supports_moved,
                    wishes=result.wishes_moved + result.area_wishes_moved,
                    shops=result.shops_moved,
                    duplicates=result.supports_dropped
                    + result.wishes_dropped
                    + result.area_wishes_dropped,
                ),
                "success",
            )
            return redirect(url_for("admin.shop_type", shop_type_id=target.id), 303)
    return _shop_type_page(source, status=422, merge_form=form)


def _load_shop_type(shop_type_id: int) -> ShopType:
    shop_type = db.session.get(ShopType, shop_type_id)
    if shop_type is None:
        abort(404)
    return shop_type


def _locale() -> str:
    return str(get_locale())


def _shop_types_page(form: ShopTypeForm, status: int = 200) -> ResponseReturnValue:
    return render(
        "admin/shop_types.html",
        status=status,
        form=form,
        groups=taxonomy.usage_by_group(),
        locale=_locale(),
    )


def _shop_type_page(
    shop_type: ShopType,
    status: int = 200,
    relabel_form: RelabelForm | None = None,
    merge_form: MergeForm | None = None,
) -> ResponseReturnValue:
    usage = next(
        (
            item
            for _group, items in taxonomy.usage_by_group()
            for item in items
            if item.shop_type.id == shop_type.id
        ),
        None,
    )
    if relabel_form is None:
        relabel_form = RelabelForm(
            formdata=None, data={"label_fr": shop_type.label_fr, "label_en": shop_type.label_en}
        )
    if merge_form is None:
        merge_form = MergeForm(shop_type, _locale(), formdata=None)
    return render(
        "admin/shop_type.html",
        status=status,
        shop_type=shop_type,
        usage=usage,
        relabel_form=relabel_form,
        merge_form=merge_form,
        switch_form=ActionForm(formdata=None),
        locale=_locale(),
    )
