"""The web front end: a Flask app factory with an `api` (JSON) and a `pages` (HTML) blueprint.

Every request passes the same gate before its view: the host name is checked, a write must
come from this origin, and each parameter is validated against `web.params` (which also
writes the OpenAPI document). Every error leaves as a 4xx with a message, JSON under /api/.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from web.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to SQLite's 64-bit integers: a larger id matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    from search.library import default_library_path
    from web import security
    from web import moments_api  # noqa: F401 - its routes join the `api` blueprint
    from web.api import api
    from web.pages import pages
    from web.services import Services

    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        LIBRARY=str(default_library_path()),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WRITE_TOKEN=os.environ.get("VISEARCH_TOKEN") or None,
        OCR=None,
        WARM_UP=True,
        ALLOWED_HOSTS=sorted(security.allowed_hosts()),
        INSTANCE="",  # `visearch serve` sets one: the CLI checks it before asking this server to search
    )
    app.config.update(config or {})
    # Resolved once, here: later code (send_file above all) never sees a relative path.
    app.config["LIBRARY"] = str(Path(app.config["LIBRARY"]).expanduser().absolute())
    services = Services(Path(app.config["LIBRARY"]), ocr=app.config["OCR"])
    services.init_app(app)
    security.init_app(app)
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
    app.jinja_env.filters["plural"] = plural
    if app.config["WARM_UP"]:
        services.warm_up()
    return app


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 video`, `2 videos`, `1 person`, `3 people`."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def _register_gate(app: Flask) -> None:
    from web import security
    from web.params import validate_request

    @app.before_request
    def gate():
        hosts = app.config.get("ALLOWED_HOSTS")
        security.check_request(None if hosts is None else set(hosts))
        validate_request()


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, **extra):
    if _wants_json():
        return jsonify({"error": message, **extra}), status
    return render_template("error.html", code=status, message=message, page=""), status


def _register_errors(app: Flask) -> None:
    from indexer.errors import VisearchError
    from search.details import NotFoundError
    from search.people.index import CannotMergeError, PersonNotFoundError
    from search.library import LibraryBusyError, LibraryError
    from search.moments.store import TagExistsError
    from web.params import InvalidParameter
    from web.security import Refused
    from web.jobs import JobsBusy
    from web.services import ModelsLoading
    from web.uploads import BadUpload

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {413: f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"}
        return error_response(error.code or 500, messages.get(error.code) or error.description or error.name)

    @app.errorhandler(InvalidParameter)
    def invalid(error: InvalidParameter):
        return error_response(error.status, error.message, field=error.name)

    @app.errorhandler(BadUpload)
    @app.errorhandler(Refused)
    def refused(error):
        return error_response(error.status, error.message)

    @app.errorhandler(ModelsLoading)
    def loading(_error):
        body = {"error": "the search models are loading; try again in a moment", "loading": True}
        return jsonify(body), 503, {"Retry-After": "2"}

    @app.errorhandler(JobsBusy)
    def jobs_busy(error):
        return error_response(429, str(error)), {"Retry-After": "30"}

    @app.errorhandler(NotFoundError)
    @app.errorhandler(PersonNotFoundError)
    def not_found(error):
        return error_response(404, str(error))

    @app.errorhandler(LibraryBusyError)
    @app.errorhandler(CannotMergeError)
    @app.errorhandler(TagExistsError)
    def conflict(error):
        return error_response(409, str(error))

    @app.errorhandler(LibraryError)
    def no_library(error):
        return error_response(404, str(error), empty=True)

    @app.errorhandler(VisearchError)
    def domain_error(error):
        return error_response(422, str(error))

    @app.errorhandler(Exception)
    def unexpected(error):  # a bug: logged with its traceback, answered without one
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, f"internal error ({error.__class__.__name__}); see the server log")
