"""Languages and time zones: which one a request is served in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, gettext, ngettext
from flask_login import current_user

# Locale code -> name shown in the language switch (each in its own language).
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "en"

babel = Babel()


def normalize_language(code: str | None) -> str | None:
    """Map a browser or user code (zh, zh-CN, zh-Hans, en-US, ...) to a supported locale."""
    if not code:
        return None
    code = code.replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """Choose: explicit ?lang=, the signed-in user's preference, the session, then the browser."""
    for candidate in (
        request.args.get("lang"),
        getattr(current_user, "preferred_language", None),
        session.get("language"),
    ):
        language = normalize_language(candidate)
        if language:
            return language
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return normalize_language(best) or DEFAULT_LANGUAGE


def select_timezone() -> str | None:
    return getattr(current_user, "timezone", None)


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def translate(
    message: str, params: Mapping[str, Any] | None = None, plural: str | None = None
) -> str:
    """A stored message (marked with N_ or NP_) in the reader's language, parameters filled in.

    A pair takes its count from `params["count"]`. A translation whose placeholders went wrong
    falls back to the English text rather than costing the reader the whole page.
    """
    values = dict(params or {})
    english = message if plural is None or values.get("count") == 1 else plural
    try:
        if plural is not None:  # Flask-Babel fills in the variables itself here
            return ngettext(message, plural, int(values.get("count", 0)), **values)
        text = gettext(message)
        return text % values if values else text
    except (KeyError, TypeError, ValueError):
        try:
            return english % values if values else english
        except (KeyError, TypeError, ValueError):
            return english
