"""Choosing the visitor's language: their explicit choice first, then their browser's."""

from flask import current_app, has_request_context, request

LANGUAGE_COOKIE = "wishboard_lang"


def select_locale() -> str:
    """The locale for this request: the language cookie, else Accept-Language, else French."""
    if not has_request_context():  # CLI commands and workers: the site's default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
