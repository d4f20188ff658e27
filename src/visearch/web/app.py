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
    from visearch.web.i18n import translate_error

    message = translate_error(message)
    if _wants_json():
        return jsonify({"error": message, **extra}), status
    return render_template("error.html", code=status, message=message, page=""), status


def _statuses() -> dict[type, int]:
    """The status each domain error answers with; a subclass takes its nearest listed base's."""
    from visearch.indexer.errors import InvalidInput, VisearchError
    from visearch.search.details import NotFoundError
    from visearch.storage.library import LibraryBusyError, LibraryError
    from visearch.storage.tags import TagExistsError
    from visearch.people.index import CannotMergeError, PersonNotFoundError
    from visearch.people.review import StaleAnswerError
    from visearch.web.jobs import JobsBusy

    return {InvalidInput: 400, NotFoundError: 404, PersonNotFoundError: 404, LibraryError: 404,
            LibraryBusyError: 409, CannotMergeError: 409, StaleAnswerError: 409, TagExistsError: 409,
            JobsBusy: 429, VisearchError: 422}


def _register_errors(app: Flask) -> None:
    from visearch.indexer.errors import VisearchError
    from visearch.storage.library import LibraryError
    from visearch.web.params import InvalidParameter
    from visearch.web.security import Refused
    from visearch.web.services import ModelsLoading
    from visearch.web.uploads import BadUpload

    statuses = _statuses()
    headers = {429: {"Retry-After": "30"}}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {413: f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"}
        return error_response(error.code or 500, messages.get(error.code) or error.description or error.name)

    @app.errorhandler(InvalidParameter)
    def invalid(error: InvalidParameter):
        from flask_babel import gettext

        reason = gettext(error.template, **error.values) if error.values else gettext(error.template)
        return error_response(error.status, f"{error.name}: {reason}", field=error.name)

    @app.errorhandler(BadUpload)
    @app.errorhandler(Refused)
    def refused(error):
        return error_response(error.status, error.message)

    @app.errorhandler(ModelsLoading)
    def loading(_error):
        body = {"error": "the search models are loading; try again in a moment", "loading": True}
        return jsonify(body), 503, {"Retry-After": "2"}

    @app.errorhandler(VisearchError)
    def domain_error(error: VisearchError):
        """The status of the error's nearest listed class (`status` where it carries one: media, 413)."""
        status = getattr(error, "status", None) or next(
            statuses[kind] for kind in type(error).__mro__ if kind in statuses)
        if getattr(error, "too_large", False):
            status = 413
        extra = {"empty": True} if isinstance(error, LibraryError) else {}  # the page offers to index
        body, code = error_response(status, str(error), **extra)
        return body, code, headers.get(status, {})

    @app.errorhandler(Exception)
    def unexpected(error):  # a bug: logged with its traceback, answered without one
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, f"internal error ({error.__class__.__name__}); see the server log")
