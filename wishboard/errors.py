"""Error pages in the visitor's language, as HTML or as an HTMX fragment."""

from flask import Flask, make_response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, TooManyRequests

from . import limits
from .htmx import render
from .request_log import request_id


def register_error_handlers(app: Flask) -> None:
    """Show every HTTP error as a page of ours; JSON for the API."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        message = _("Your session has expired or the form was sent twice. Please try again.")
        return render("errors/error.html", "content", status=400, code=400, message=message)

    @app.errorhandler(TooManyRequests)
    def too_many_requests(error: TooManyRequests) -> ResponseReturnValue:
        # Raised by a limit (wishboard/limits.py): say when to come back, in words and header.
        seconds = limits.retry_after(error)
        message = limits.wait_message(seconds)
        if request.path.startswith("/api/"):
            response = make_response({"error": error.name, "status": 429, "message": message}, 429)
        else:
            response = make_response(
                render("errors/error.html", "content", status=429, code=429, message=message)
            )
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        if request.path.startswith("/api/"):
            # A 405 names the methods that do work (the JSON body replaces werkzeug's answer).
            allowed = getattr(error, "valid_methods", None)
            headers = {"Allow": ", ".join(allowed)} if allowed else {}
            return {"error": error.name, "status": code}, code, headers
        messages = {
            400: _("The request could not be understood."),
            403: _("You are not allowed to see this page."),
            404: _("This page does not exist, or no longer does."),
            405: _("This page cannot be used this way."),
            413: _("What you sent is too large."),
            429: _("Too many requests. Please wait a moment and try again."),
        }
        message = messages.get(code, _("Something went wrong on our side. Please try again."))
        # A reference the visitor can quote, to find the error in the logs.
        reference = request_id() if code >= 500 else None
        return render(
            "errors/error.html",
            "content",
            status=code,
            code=code,
            message=message,
            reference=reference,
        )
