"""Accounts: register, verify, sign in and out, reset a password."""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from .. import limits
from ..forms.accounts import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm
from ..models import Role
from ..redirects import after_sign_in, local_path
from ..security import renew_session
from ..services.people import accounts
from ..settings import settings
from . import bp


def _form_page(template: str, form: FlaskForm, **context) -> ResponseReturnValue:
    """A form page: 422 when it comes back from a submission with errors, 200 otherwise."""
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status


def _invalid_link(error: accounts.InvalidToken, purpose: str) -> ResponseReturnValue:
    """The page for a link that is forged, expired or used, offering a new one."""
    return render_template("auth/invalid_link.html", message=error.message, purpose=purpose), 400


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Create a resident account, sign it in and send the verification e-mail."""
    if current_user.is_authenticated:
        return redirect(url_for("public.index"), 303)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(
                form.email.data,
                form.display_name.data,
                form.password.data,
                settings(),
                locale=str(get_locale()),
                role=Role(form.role.data),
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            renew_session()
            login_user(user)
            return redirect(url_for("auth.check_email"), 303)
    return _form_page("auth/register.html", form)


@bp.get("/check-email")
def check_email() -> ResponseReturnValue:
    """Tell a new resident to open the link we sent them."""
    return render_template("auth/check_email.html")


@bp.get("/verify/<token>")
def verify(token: str) -> ResponseReturnValue:
    """Confirm an e-mail address from the link in the verification e-mail."""
    try:
        user, newly_verified = accounts.verify_email(token, settings())
    except accounts.InvalidToken as error:
        return _invalid_link(error, "verify")
    return render_template("auth/verified.html", user=user, newly_verified=newly_verified)


@bp.post("/verify/resend")
@login_required
def resend_verification() -> ResponseReturnValue:
    """Send the signed-in user a new verification link."""
    if current_user.is_verified:
        flash(_("Your e-mail address is already confirmed."), "info")
        return redirect(url_for("public.index"), 303)
    accounts.resend_verification(current_user, settings())
    flash(_("We sent you a new link."), "success")
    return redirect(url_for("auth.check_email"), 303)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in; the same words for an unknown address, a wrong password and a closed account."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = local_path(request.args.get("next")) or ""
    if form.validate_on_submit():
        # Paused or not, the answer is the same for an account that exists and one that does not.
        try:
            limits.check_signin(form.email.data)
        except limits.SignInPaused as pause:
            form.form_errors.append(limits.signin_wait_message(pause.retry_after))
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(pause.retry_after)
            return response
        user = accounts.authenticate(
            form.email.data, form.password.data, settings(), locale=str(get_locale())
        )
        if user is not None:
            limits.signin_succeeded(form.email.data)
            target = after_sign_in(user, form.next.data)
            # Nothing from the visitor's session before signing in carries over.
            renew_session()
            login_user(user, remember=form.remember.data)
            return redirect(target, 303)
        limits.signin_failed(form.email.data)
        form.form_errors.append(_("E-mail or password incorrect."))
    return _form_page("auth/login.html", form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out and go back to the map."""
    # Not session.clear(): Flask-Login leaves a note in the session to delete the remember cookie.
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"), 303)


@bp.route("/reset", methods=["GET", "POST"])
def reset_request() -> ResponseReturnValue:
    """Ask for a reset link; the answer never tells whether the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, settings())
        return redirect(url_for("auth.reset_sent"), 303)
    return _form_page("auth/reset_request.html", form)


@bp.get("/reset/sent")
def reset_sent() -> ResponseReturnValue:
    """The same answer whether or not an e-mail went out."""
    return render_template("auth/reset_sent.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password with the link from the reset e-mail."""
    try:
        user = accounts.read_reset_token(token, settings())
    except accounts.InvalidToken as error:
        return _invalid_link(error, "reset")
    form = ResetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, settings())
        except accounts.InvalidToken as error:
            return _invalid_link(error, "reset")
        except accounts.AccountError as error:
            form.password.errors.append(error.message)
        else:
            flash(_("Your password has been changed. You can sign in now."), "success")
            return redirect(url_for("auth.login"), 303)
    return _form_page("auth/reset_password.html", form, token=token, email=user.email)
