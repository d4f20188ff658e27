"""The web front end: a Flask app factory with an `api` (JSON) and a `pages` (HTML) blueprint.

Every request passes the same gate before its view: the host name is checked, a write must
come from this origin, and each parameter is validated against `visearch.web.params` (which also
writes the OpenAPI document). Every error leaves as a 4xx with a message, JSON under /api/.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from visearch.app.settings import Settings
from visearch.defaults import BLUR_STRENGTH
from visearch.web.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to SQLite's 64-bit integers: a larger id matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict | None = None, settings: Settings | None = None) -> Flask:
    """The app over `config["LIBRARY"]` (default: the settings' library); `settings` are read from the
    environment here, once, when not given."""
    from visearch.web import i18n, security
    from visearch.web import moments_api, people_api, shop_api  # noqa: F401 - their routes join the `api` blueprint
    from visearch.web.api import api
    from visearch.web.pages import pages
    from visearch.web.services import Services

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        LIBRARY=str(settings.library),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WRITE_TOKEN=settings.token or None,
        OCR=None,
        WARM_UP=True,
        ALLOWED_HOSTS=sorted(security.allowed_hosts()),
        INSTANCE="",  # `visearch serve` sets one: the CLI checks it before asking this server to search
    )
    app.config.update(config or {})
    # Resolved once, here: later code (send_file above all) never sees a relative path.
    app.config["LIBRARY"] = str(Path(app.config["LIBRARY"]).expanduser().absolute())
    settings = settings.with_options(library=Path(app.config["LIBRARY"]))
    services = Services(settings, ocr=app.config["OCR"])
    services.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(api)
    app.register_blueprint(pages)
    _register_gate(app)
    _register_errors(app)

    @app.template_filter("urlencode_page")
    def urlencode_page(args, page: int) -> str:
        from urllib.parse import urlencode

        pairs = [(key, value) for key, value in args.items(multi=True) if key not in ("page", "token")]
        return urlencode(pairs + [("page", page)])

    app.jinja_env.filters["http_url"] = security.http_url
    app.jinja_env.globals["blur_strength"] = BLUR_STRENGTH  # the pages' blur buttons send the one default
    if app.config["WARM_UP"]:
        services.warm_up()
    return app


def _register_gate(app: Flask) -> None:
    from visearch.web import security
    from visearch.web.params import validate_request

    @app.before_request
    def gate():
        hosts = app.config.get("ALLOWED_HOSTS")
        security.check_request(None if hosts is None else set(hosts))
        validate_request()


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, **extra):
    """An error as JSON (under /api/) or as a page; `message` is already in the visitor's language."""
    if _wants_json():
        return jsonify({"error": message, **extra}), status
    return render_template("error.html", code=status, message=message, page=""), status


def _http_messages() -> dict[int, str]:
    from visearch.errors import N_

    return {400: N_("The request could not be understood."), 404: N_("There is nothing at this address."),
            405: N_("This address does not take that kind of request."), 406: N_("No answer in a form you accept."),
            415: N_("This kind of content is not accepted here."), 500: N_("Something went wrong on the server.")}


HTTP_MESSAGES = _http_messages()

# What went wrong (`VisearchError.kind`) → the HTTP status: the one table (an error may carry its own `status`).
STATUSES = {"invalid": 400, "missing": 404, "conflict": 409, "busy": 429, "unavailable": 422, "failed": 422}


def _register_errors(app: Flask) -> None:
    from flask_babel import gettext

    from visearch.errors import N_, VisearchError
    from visearch.web.services import ModelsLoading

    headers = {429: {"Retry-After": "30"}}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:
            message = gettext(N_("the upload is larger than %(size)s MB"), size=MAX_UPLOAD_BYTES // (1024 * 1024))
            return error_response(413, message, code="upload_too_large")
        message = HTTP_MESSAGES.get(error.code or 500, error.name)
        return error_response(error.code or 500, gettext(message), code=f"http_{error.code}")

    @app.errorhandler(ModelsLoading)
    def loading(_error):
        body = {"error": gettext(N_("the search models are loading; try again in a moment")), "loading": True,
                "code": "models_loading"}
        return jsonify(body), 503, {"Retry-After": "2"}

    @app.errorhandler(VisearchError)
    def domain_error(error: VisearchError):
        """The status of the error's kind (or its own: a file that changed is 410), in the visitor's words."""
        status = getattr(error, "status", None) or STATUSES.get(error.kind, 422)
        if getattr(error, "too_large", False):
            status = 413
        extra = {"empty": True} if error.code in ("library_missing", "library_empty") else {}  # the page offers to index
        if getattr(error, "name", None) and error.code == "parameter_invalid":
            extra["field"] = error.name
        body = error.to_json(gettext)
        body, code = error_response(status, body.pop("error"), **body, **extra)
        return body, code, headers.get(status, {})

    @app.errorhandler(Exception)
    def unexpected(error):  # a bug: logged with its traceback, answered without one
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, gettext(N_("internal error (%(kind)s); see the server log"),
                                           kind=error.__class__.__name__), code="internal")
