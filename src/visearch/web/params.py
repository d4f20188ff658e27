"""Every request parameter and JSON body, declared once: the OpenAPI document is built from these
tables and `validate_request` checks each request against them before a view runs.

A view therefore only sees values that have the declared type and range; anything else is a
400 whose message names the parameter. Strings never carry NUL, control characters or lone
surrogates (SQLite and JSON encoders choke on them further down).
"""
from __future__ import annotations

import math
import re

from flask import g, request

from visearch.defaults import MAX_TEXT, MOMENT_GAP
from visearch.errors import N_, InvalidInput

MAX_ID = 2**63 - 1  # SQLite's INTEGER; larger path ids never match a route (404)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidParameter(InvalidInput):
    """A 400 naming the field (raised before the view runs): "NAME: REASON", the reason a catalogue sentence."""

    def __init__(self, name: str, reason: str, status: int = 400, **values) -> None:
        self.name, self.status = name, status
        super().__init__(reason, code="parameter_invalid", **values)

    def format(self, translate=str) -> str:
        return f"{self.name}: {super().format(translate)}"


def _query(name: str, schema: dict, description: str = "") -> dict:
    param = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    return param


K = _query("k", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, "number of results")
ALL = _query("all", {"type": "string", "enum": ["0", "1"]}, "1: include hidden people")
PEOPLE_QUERY = _query("q", {"type": "string", "maxLength": 100},
                      "only people this name could mean: part of a name or alias, in Hangul or Latin letters")
GAP = _query("gap", {"type": "number", "minimum": 0, "maximum": 60, "default": MOMENT_GAP},
             "seconds between sightings that still count as one clip")
BROWSE = [
    _query("kind", {"type": "string", "enum": ["image", "frame"]}),
    _query("person", {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}),
    _query("person_mode", {"type": "string", "enum": ["and", "or"], "default": "and"}),
    _query("not_person", {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}),
    _query("has_text", {"type": "string", "enum": ["1", "0"]}),
    _query("text", {"type": "string", "maxLength": 200}),
    _query("brand", {"type": "string", "maxLength": 200}),
    _query("category", {"type": "string", "maxLength": 200}),
    _query("source", {"type": "string", "maxLength": 4096}),
    _query("sort", {"type": "string", "enum": ["added", "name"], "default": "added"}),
    _query("order", {"type": "string", "enum": ["asc", "desc"]}),
    _query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500, "default": 48}),
]
UPLOAD_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
BOX = {"type": "string", "maxLength": 200, "description": "x0,y0,x1,y1 in the photo's pixels"}
HOME = [_query("q", {"type": "string", "maxLength": MAX_TEXT}, "text query"),
        _query("photo", UPLOAD_ID, "an uploaded query photo"), _query("box", BOX),
        _query("shop", {"type": "string", "enum": ["0", "1"]}, "1: catalogue products only (a video frame)")]
CLIP_RANGE = [_query("start", {"type": "number", "minimum": 0, "maximum": 1e7}),
              _query("end", {"type": "number", "minimum": 0, "maximum": 1e7})]
TOKEN = _query("token", {"type": "string", "maxLength": 200}, "the write token, remembered as a cookie")

# Query parameters by endpoint (API and pages alike). Unknown parameters are ignored.
QUERY: dict[str, list[dict]] = {
    "api.similar": [K], "api.browse": BROWSE, "api.people": [ALL, PEOPLE_QUERY], "api.clips": [GAP],
    "pages.browse": BROWSE + [TOKEN], "pages.people": [ALL, PEOPLE_QUERY, TOKEN], "pages.home": HOME + [TOKEN],
    "pages.export_clip": CLIP_RANGE,
    "pages.shop": [_query("t", {"type": "number", "minimum": 0, "maximum": 1e7, "default": 0},
                          "seconds into the video")],
    "pages.fancam_file": [_query("download", {"type": "string", "enum": ["0", "1"]}, "1: save instead of play")],
    "api.tag": [_query("borderline", {"type": "string", "enum": ["0", "1"]}, "1: the moments just under the cutoff")],
    "api.unassigned": [_query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200},
                              "at most this many stacks")],
    "pages.moments": [_query("tag", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "show this tag")],
}

SEARCH_FORM = {"type": "object", "properties": {
    "image": {"type": "string", "format": "binary"},
    "upload": UPLOAD_ID | {"description": "search a photo uploaded before (its `query.upload`) again"},
    "box": BOX, "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
    "k": {"type": "integer", "minimum": 1, "maximum": 100}, "suggest": {"type": "string", "enum": ["0", "1"]},
    "products": {"type": "string", "enum": ["0", "1"], "description": "1: catalogue products only"}}}
SEARCH_JSON = {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
    "k": {"type": "integer", "minimum": 1, "maximum": 100}}}
NAME_BODY = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 200}}}
HIDE_BODY = {"type": "object", "properties": {"hidden": {"type": "boolean"}}}
ALIASES_BODY = {"type": "object", "required": ["aliases"], "properties": {
    "aliases": {"type": "array", "minItems": 0, "maxItems": 20, "items": {"type": "string", "maxLength": 100},
                "description": "every other name the person goes by (replaces the ones before): Karina for 카리나"}}}
MERGE_BODY = {"type": "object", "required": ["keep", "other"], "properties": {
    "keep": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "other": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}}

SPLIT_BODY = {"type": "object", "required": ["faces"], "properties": {
    "faces": {"type": "array", "minItems": 1, "maxItems": 1000,
              "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
              "description": "the faces (ids from GET /api/people/{id}/faces) that are someone else"},
    "name": {"type": "string", "maxLength": 200, "description": "the new person's name"}}}

ASPECTS = ["9:16", "16:9", "1:1", "4:5", "3:4"]
FANCAM_BODY = {"type": "object", "required": ["video"], "properties": {
    "video": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "an indexed video's id"},
    "person": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "one person to follow"},
    "grid": {"type": "boolean", "description": "several people side by side (default false)"},
    "people": {"type": "array", "minItems": 1, "maxItems": 9,
               "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
               "description": "grid: the people (default: the most seen)"},
    "top": {"type": "integer", "minimum": 1, "maximum": 9, "description": "grid: how many of the most seen"},
    "aspect": {"type": "string", "enum": ASPECTS, "description": "each picture's shape (default 9:16)"},
    "height": {"type": "integer", "minimum": 240, "maximum": 1920,
               "description": "output height in px (default 1280, a grid 720, at most the video's own)"},
    "blur": {"type": "number", "minimum": 0, "maximum": 1, "description":
             "the focus-cam look: the stage behind the person blurred this much (needs the person model)"}}}

_MOMENT_FIELDS = {
    "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "description": "words seen on screen"},
    "person": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "a person on screen"},
    "clip_text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT,
                  "description": "a description (libraries with a semantic CLIP model)"},
    "upload": UPLOAD_ID | {"description": "an example picture uploaded before (its `upload`)"},
    "threshold": {"type": "number", "minimum": 0, "maximum": 1, "description": "the score a frame needs"},
    "product": {"type": "string", "minLength": 1, "maxLength": 200, "description": "a catalogue SKU on screen"},
}
MOMENTS_JSON = {"type": "object", "properties": {
    **_MOMENT_FIELDS, "any": {"type": "boolean", "description": "any part (OR) instead of all (AND)"},
    "video": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "only this video"}}}
MOMENTS_FORM = {"type": "object", "properties": {
    **_MOMENT_FIELDS, "image": {"type": "string", "format": "binary", "description": "an example picture"},
    "any": {"type": "string", "enum": ["0", "1"]},
    "video": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}}
TAG_BODY = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100}, **_MOMENT_FIELDS,
    "any": {"type": "boolean"}, "replace": {"type": "boolean", "description": "replace a tag of that name"}}}

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ANSWER_BODY = {"type": "object", "required": ["face", "person", "answer"], "properties": {
    "face": ID | {"description": "the suggested face (`faces[].face` of GET /api/people/review)"},
    "person": ID | {"description": "the person it was suggested for"},
    "answer": {"type": "string", "enum": ["yes", "no", "skip"]}}}
MERGE_ANSWER_BODY = {"type": "object", "required": ["keep", "other", "answer"], "properties": {
    "keep": ID, "other": ID, "answer": {"type": "string", "enum": ["yes", "no"]}}}
STACK_BODY = {"type": "object", "required": ["faces", "action"], "properties": {
    "faces": {"type": "array", "minItems": 1, "maxItems": 1000, "items": ID,
              "description": "faces without a person (a stack of GET /api/people/unassigned, or some of it)"},
    "action": {"type": "string", "enum": ["name", "assign", "hide"],
               "description": "name: a new person; assign: to `person`; hide: a hidden stranger"},
    "name": {"type": "string", "maxLength": 200}, "person": ID}}

TIME = {"type": "number", "minimum": 0, "maximum": 1e7, "description": "seconds into the video"}
FRAME_BODY = {"type": "object", "required": ["video", "time"], "properties": {
    "video": ID | {"description": "an indexed video's id"}, "time": TIME, "box": BOX,
    "k": {"type": "integer", "minimum": 1, "maximum": 100}}}
_CUTOUT_FIELDS = {
    "upload": UPLOAD_ID | {"description": "a photo uploaded before (a search's `query.upload`)"},
    "item": ID | {"description": "with `outline`: the catalogue item the lens matched (its shape seeds the cut)"},
    "video": ID | {"description": "with `time`: cut from this video's frame"}, "time": TIME, "box": BOX,
    "background": {"type": "string", "enum": ["white"], "description": "white: flattened onto white"},
    "person": {"type": "boolean", "description": "the person there (in `box`, or the most prominent), by the person "
                                                 "model; GrabCut where it is not installed (the X-Visearch-Notice "
                                                 "header says so)"},
    "blur": {"type": "number", "minimum": 0, "maximum": 1,
             "description": "keep the whole photo, its background blurred by distance from the object (JPEG)"}}
CUTOUT_JSON = {"type": "object", "properties": {**_CUTOUT_FIELDS, "outline": {
    "type": "array", "minItems": 3, "maxItems": 64, "description": "the lens's verified outline ([x, y] points)",
    "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}}}}
CUTOUT_FORM = {"type": "object", "properties": {
    **_CUTOUT_FIELDS, "image": {"type": "string", "format": "binary"},
    "video": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "item": {"type": "integer", "minimum": 1,
                                                                            "maximum": MAX_ID},
    "outline": {"type": "string", "maxLength": 4000, "description": "JSON [[x, y], …]"}}}

# JSON bodies by endpoint; writes take JSON only (a cross-site form cannot send it).
JSON_BODIES: dict[str, dict] = {
    "api.search": SEARCH_JSON, "api.rename": NAME_BODY, "api.hide": HIDE_BODY, "api.merge": MERGE_BODY,
    "api.aliases": ALIASES_BODY,
    "api.search_frame": FRAME_BODY, "api.cutout": CUTOUT_JSON,
    "api.answer": ANSWER_BODY, "api.answer_merge": MERGE_ANSWER_BODY, "api.settle": STACK_BODY,
    "api.split": SPLIT_BODY, "api.start_fancam": FANCAM_BODY, "api.moments": MOMENTS_JSON, "api.add_tag": TAG_BODY,
}
FORM_BODIES: dict[str, dict] = {"api.search": SEARCH_FORM, "api.moments": MOMENTS_FORM, "api.cutout": CUTOUT_FORM}


def validate_request() -> None:
    """Check the matched endpoint's query, form or JSON body; parsed values land in `g.params`."""
    endpoint = request.endpoint or ""
    values: dict = {}
    for param in QUERY.get(endpoint, []):
        values.update(_query_value(param))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        values.update(_body(endpoint))
    g.params = values


def _query_value(param: dict) -> dict:
    name, schema = param["name"], param["schema"]
    if schema["type"] == "array":
        raw = [v for v in request.args.getlist(name) if v != ""]
        return {name: tuple(coerce(name, v, schema["items"]) for v in raw)}
    raw = request.args.get(name)
    if raw is None or raw == "":
        return {name: schema.get("default")}
    return {name: coerce(name, raw, schema)}


def _body(endpoint: str) -> dict:
    if request.mimetype == "multipart/form-data" and endpoint in FORM_BODIES:
        schema = FORM_BODIES[endpoint]
        fields = {key: value for key, value in request.form.items()
                  if key in schema["properties"] and schema["properties"][key].get("format") != "binary"}
        return {key: coerce(key, value, schema["properties"][key]) for key, value in fields.items()}
    schema = JSON_BODIES.get(endpoint)
    if schema is None:
        return {}
    if not request.is_json:
        if request.content_length or schema.get("required"):
            raise InvalidParameter("body", N_("send JSON (Content-Type: application/json)"), 415)
        return {}
    body = request.get_json(silent=True)
    if body is None and (request.content_length or 0) > 0:
        raise InvalidParameter("body", N_("not valid JSON"))
    return check_object("body", {} if body is None else body, schema)


def check_object(where: str, body, schema: dict) -> dict:
    """A JSON object against an object schema: required keys present, each known key of its type."""
    if not isinstance(body, dict):
        raise InvalidParameter(where, N_("must be a JSON object, got %(kind)s"), kind=type(body).__name__)
    for key in schema.get("required", []):
        if key not in body:
            raise InvalidParameter(key, N_("is required"))
    properties = schema["properties"]
    return {key: check_json_value(key, value, properties[key]) for key, value in body.items() if key in properties}


def check_json_value(name: str, value, schema: dict):
    kind = schema["type"]
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidParameter(name, N_("must be a whole number, got %(value)s"), value=_show(value))
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise InvalidParameter(name, N_("must be a number, got %(value)s"), value=_show(value))
    if kind == "boolean" and not isinstance(value, bool):
        raise InvalidParameter(name, N_("must be true or false, got %(value)s"), value=_show(value))
    if kind == "string" and not isinstance(value, str):
        raise InvalidParameter(name, N_("must be a string, got %(value)s"), value=_show(value))
    if kind == "array":
        if not isinstance(value, list):
            raise InvalidParameter(name, N_("must be a list, got %(value)s"), value=_show(value))
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 10_000):
            raise InvalidParameter(name, N_("must hold %(low)s to %(high)s values, got %(count)s"),
                                   low=schema.get("minItems", 0), high=schema.get("maxItems", 10_000), count=len(value))
        return [check_json_value(name, item, schema["items"]) for item in value]
    return _check_range(name, value, schema)


def coerce(name: str, raw: str, schema: dict):
    """A query or form string → the schema's type, or InvalidParameter naming `name`."""
    kind = schema["type"]
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,19}", raw.strip()):
            raise InvalidParameter(name, N_("must be a whole number, got %(value)s"), value=_show(raw))
        return _check_range(name, int(raw), schema)
    if kind == "number":
        try:
            value = float(raw)
        except ValueError:
            raise InvalidParameter(name, N_("must be a number, got %(value)s"), value=_show(raw)) from None
        if not math.isfinite(value):
            raise InvalidParameter(name, N_("must be a finite number, got %(value)s"), value=_show(raw))
        return _check_range(name, value, schema)
    if kind == "boolean":
        if raw not in ("true", "false", "1", "0"):
            raise InvalidParameter(name, N_("must be true or false, got %(value)s"), value=_show(raw))
        return raw in ("true", "1")
    return _check_range(name, raw, schema)


def _check_range(name: str, value, schema: dict):
    if isinstance(value, str):
        clean_text(name, value)
        if "enum" in schema and value not in schema["enum"]:
            raise InvalidParameter(name, N_("must be one of %(choices)s; got %(value)s"), choices=", ".join(schema["enum"]),
                                   value=_show(value))
        if len(value) > schema.get("maxLength", 10_000):
            raise InvalidParameter(name, N_("must be at most %(count)s characters"), count=schema["maxLength"])
        if len(value.strip()) < schema.get("minLength", 0):
            raise InvalidParameter(name, N_("must not be empty"))
        if "pattern" in schema and not re.fullmatch(schema["pattern"].strip("^$"), value):
            raise InvalidParameter(name, N_("is not a valid value: %(value)s"), value=_show(value))
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = schema.get("minimum", -MAX_ID - 1), schema.get("maximum", MAX_ID)
        if not low <= value <= high:
            raise InvalidParameter(name, N_("must be between %(low)s and %(high)s, got %(value)s"), low=f"{low:g}",
                                   high=f"{high:g}", value=f"{value:g}")
    return value


def clean_text(name: str, text: str) -> str:
    """Refuse NUL, control characters and lone surrogates: they are never meant, and break encoders."""
    if _CONTROL.search(text):
        raise InvalidParameter(name, N_("contains control characters"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter(name, N_("is not valid Unicode (lone surrogate)")) from None
    return text


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
