"""The web UI in English and Korean: one translation catalogue (web/translations) for the templates, the
scripts' messages, the error messages a page or the API shows, and the OpenAPI descriptions.

The language is the one the visitor chose with the switch (remembered in a cookie), else the best match of
their browser's Accept-Language, else English. Scripts get their messages as a JSON block in the page
(`#i18n`), never as code, so the content security policy stays as strict. The command line stays English.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, get_locale, gettext, ngettext

LANGUAGES = {"en": "English", "ko": "한국어"}
COOKIE = "visearch_lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
STATIC = Path(__file__).resolve().parent / "static"


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is written; it is translated where it is shown."""
    return message


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=lambda: str(get_locale() or "en"),
                                 script_messages=script_messages)

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


# Error messages the domain raises with values in them: each pattern's msgid is translated and the values
# put back. Anything not listed is shown as it was raised (English).
ERRORS = [
    (re.compile(r"^no (face|person) (?P<key>\d+)(?: with faces)?: (?:it was indexed again|merged) "),
     N_("%(what)s %(key)s is gone: indexed again, merged or forgotten since; reload the page")),
    (re.compile(r"^face (?P<face>\d+) already belongs to person (?P<person>\d+)$"),
     N_("face %(face)s already belongs to person %(person)s")),
    (re.compile(r"^(?:face|track) \d+ cannot be person (?P<person>\d+): "),
     N_("this face cannot be person %(person)s: they are both in one picture, or it was said not to be them")),
    (re.compile(r"^(?:face|track) \d+ and (?:face|track) \d+ are in one picture"),
     N_("two of these faces are in one picture: they are two people")),
    (re.compile(r"^time: (?P<t>[\d.]+) s is outside (?P<name>.+) \(0 to (?P<d>[\d.]+) s\)$"),
     N_("time: %(t)s s is outside %(name)s (0 to %(d)s s)")),
    (re.compile(r"^nothing to cut out there"), N_("nothing to cut out there: the region holds no object apart from "
                                                  "its background")),
    (re.compile(r"^no (person|item|video|tag|face) (?P<key>.+)$"), N_("no %(what)s %(key)s")),
    (re.compile(r"^no person '(?P<key>.+)' \(see `visearch people list`\)$"), N_("no person '%(key)s'")),
    (re.compile(r"^(?P<name>[^:]+): not an image \(JPEG, PNG, WebP, GIF, TIFF or BMP expected\)$"),
     N_("%(name)s: not an image (JPEG, PNG, WebP, GIF, TIFF or BMP expected)")),
    (re.compile(r"^(?P<name>[^:]+): the file is empty$"), N_("%(name)s: the file is empty")),
    (re.compile(r"^the upload is larger than (?P<size>\d+) MB$"), N_("the upload is larger than %(size)s MB")),
    (re.compile(r"^this server needs a write token"), N_("this server needs a write token for changes: open the "
                                                          "address it printed with ?token=… once")),
    (re.compile(r"^another (request|visearch process).* is writing to "), N_("the library is being changed by "
                                                                               "someone else; try again in a moment")),
    (re.compile(r"^people (?P<a>\d+) and (?P<b>\d+) are both in (?P<where>.+?)(?: \(and .*)?: two faces in one "),
     N_("people %(a)s and %(b)s are both in %(where)s: two faces in one picture are two people")),
    (re.compile(r"^other: cannot merge a person into themselves$"), N_("other: cannot merge a person into themselves")),
    (re.compile(r"^no visearch library at (?P<path>.+?)(?: \(.*)?$"), N_("no visearch library at %(path)s")),
    (re.compile(r"^a tag named '(?P<name>.+)' exists"), N_("a tag named '%(name)s' exists: pick another name")),
    (re.compile(r"^box (?P<box>.+) leaves less than (?P<side>.+) pixels inside the (?P<size>.+) picture$"),
     N_("box %(box)s leaves less than %(side)s pixels inside the %(size)s picture")),
    (re.compile(r"^box must have x1 > x0 and y1 > y0, got (?P<box>.+)$"),
     N_("box must have x1 > x0 and y1 > y0, got %(box)s")),
    (re.compile(r"^box must be four numbers x0,y0,x1,y1 in pixels, got (?P<box>.+)$"),
     N_("box must be four numbers x0,y0,x1,y1 in pixels, got %(box)s")),
    (re.compile(r"^upload: that photo is no longer kept; upload it again$"),
     N_("upload: that photo is no longer kept; upload it again")),
    (re.compile(r"^internal error \((?P<kind>\w+)\); see the server log$"),
     N_("internal error (%(kind)s); see the server log")),
    (re.compile(r"^(?P<path>.+): (?P<count>\d+) damaged packets skipped; the frames around them are indexed$"),
     N_("%(path)s: %(count)s damaged packets skipped; the frames around them are indexed")),
    (re.compile(r"^text-to-image search is off: this library's encoder \((?P<clip>.+)\) is not semantic"),
     N_("text-to-image search is off: this library's encoder (%(clip)s) is not semantic; results come from OCR "
        "and catalogue text only")),
]
WHAT = {"person": N_("person"), "item": N_("item"), "video": N_("video"), "tag": N_("tag"), "face": N_("face")}


def translate_error(message: str) -> str:
    """An error message in the request's language, where its pattern is in the catalogue."""
    if str(get_locale() or "en") == "en":
        return message
    for pattern, msgid in ERRORS:
        found = pattern.match(message)
        if found:
            values = found.groupdict()
            if "what" in msgid and found.groups():
                values["what"] = gettext(WHAT.get(found.group(1), found.group(1)))
            return gettext(msgid, **values)
    return message


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
    """A sentence the library said, in the request's language: as written in the catalogue, or by pattern."""
    if not text or str(get_locale() or "en") == "en":
        return text
    translated = gettext(text)
    return translated if translated != text else translate_error(text)

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
