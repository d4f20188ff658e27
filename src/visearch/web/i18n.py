"""The web UI in English and Korean: one translation catalogue (web/translations) for the templates, the
scripts' messages, the error messages a page or the API shows, and the OpenAPI descriptions.

The language is the one the visitor chose with the switch (remembered in a cookie), else the best match of
their browser's Accept-Language, else English. Scripts get their messages as a JSON block in the page
(`#i18n`), never as code, so the content security policy stays as strict. The command line stays English.
"""
from __future__ import annotations

import json
import re  # reads the scripts' t("…") calls, never a message
from functools import lru_cache
from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, get_locale, gettext, ngettext

LANGUAGES = {"en": "English", "ko": "한국어"}
COOKIE = "visearch_lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
STATIC = Path(__file__).resolve().parent / "static"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=lambda: str(get_locale() or "en"),
                                 script_messages=script_messages, who=who)

    @app.template_filter("urlencode_lang")
    def urlencode_lang(args, language: str) -> str:
        """This page's query with another language chosen (and no write token repeated)."""
        from urllib.parse import urlencode

        pairs = [(key, value) for key, value in args.items(multi=True) if key not in ("lang", "token")]
        return urlencode(pairs + [("lang", language)])

    @app.template_filter("price")
    def price(amount, currency: str = "") -> str:
        """3,900원 / ₩3,900 or €4.99, as the page's language writes it; the amount alone for an unknown code."""
        from babel.numbers import UnknownCurrencyError, format_currency, format_decimal

        locale = str(get_locale() or "en")
        try:
            return format_currency(amount, currency, locale=locale) if currency else format_decimal(amount, locale=locale)
        except (UnknownCurrencyError, ValueError):
            return f"{format_decimal(amount, locale=locale)} {currency}"

    @app.after_request
    def remember(response):
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", path="/")
        return response


def who(person) -> str:
    """A person as every page names them: their name, or "Unnamed person 3" (one label for the unnamed)."""
    name = person.get("name") if isinstance(person, dict) else getattr(person, "name", "")
    number = person.get("id") if isinstance(person, dict) else getattr(person, "id", "")
    return name or gettext("Unnamed person %(id)s", id=number)


def script_messages() -> str:
    """The scripts' messages in the page's language, as JSON (msgid → translation), for `#i18n`; `<` escaped,
    so no message can end the script element."""
    cached = g.get("visearch_script_messages")
    if cached is None:
        singles, plurals = script_calls()
        cached = g.visearch_script_messages = json.dumps(
            {message: gettext(message) for message in singles}
            | {f"{one}\u0000{many}": [ngettext(one, many, 1).replace("%(num)d", "{n}"),
                                       ngettext(one, many, 2).replace("%(num)d", "{n}")] for one, many in plurals},
            ensure_ascii=False).replace("<", "\\u003c")
    return cached


_CALL = re.compile(r"""\btn?\(\s*("(?:[^"\\]|\\.)*")\s*(?:,\s*("(?:[^"\\]|\\.)*"))?""")


@lru_cache(maxsize=1)
def script_calls() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The messages the scripts ask for: t("…") and tn("…", "…", n), read from web/static/*.js once."""
    singles, plurals = [], []
    for path in sorted(STATIC.glob("*.js")):
        for call in _CALL.finditer(path.read_text(encoding="utf-8")):
            first = json.loads(call.group(1))
            if call.group(0).lstrip().startswith("tn(") and call.group(2):
                plurals.append((first, json.loads(call.group(2))))
            else:
                singles.append(first)
    return tuple(dict.fromkeys(singles)), tuple(dict.fromkeys(plurals))


def translate_document(node):
    """An OpenAPI document with its summaries and descriptions in the request's language."""
    if isinstance(node, dict):
        return {key: gettext(value) if key in ("summary", "description") and isinstance(value, str)
                else translate_document(value) for key, value in node.items()}
    if isinstance(node, list):
        return [translate_document(value) for value in node]
    return node



def translate_answer(data: dict) -> dict:
    """An answer's sentences (its verdict, notices and notes) in the request's language."""
    for key in ("message",):
        if isinstance(data.get(key), str):
            data[key] = translate_text(data[key])
    for key in ("notices", "notes"):
        if isinstance(data.get(key), list):
            data[key] = [translate_text(text) for text in data[key]]
    return data


def translate_text(text: str) -> str:
    """A sentence the library said (a catalogue message, `N_` where it is written), in the request's language."""
    if not text or str(get_locale() or "en") == "en":
        return text
    return gettext(text)


def extract_openapi(fileobj, keywords, comment_tags, options):
    """Babel extraction: every summary and description of the OpenAPI document (web/openapi.py)."""
    from visearch.web.openapi import document

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("summary", "description") and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for text in dict.fromkeys(walk(document())):
        yield 1, "gettext", text, []
