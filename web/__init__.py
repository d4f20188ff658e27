"""The web front end: a Flask app factory with an `api` (JSON) and a `pages` (HTML) blueprint."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from web.uploads import MAX_UPLOAD_BYTES


def create_app(config: dict | None = None) -> Flask:
    from indexer.errors import VisearchError
    from search.library import LibraryError, default_library_path
    from web.api import api
    from web.pages import pages
    from web.services import ModelsLoading, Services

    app = Flask(__name__)
    app.config.update(
        LIBRARY=str(default_library_path()),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WRITE_TOKEN=os.environ.get("VISEARCH_TOKEN") or None,
        OCR=None,
        WARM_UP=True,
    )
    app.config.update(config or {})
    services = Services(Path(app.config["LIBRARY"]), ocr=app.config["OCR"])
    services.init_app(app)
    app.register_blueprint(api)
    app.register_blueprint(pages)

    @app.template_filter("urlencode_page")
    def urlencode_page(args, page: int) -> str:
        from urllib.parse import urlencode

        pairs = [(key, value) for key, value in args.items(multi=True) if key != "page"]
        return urlencode(pairs + [("page", page)])

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {413: f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"}
        message = messages.get(error.code) or error.description or error.name
        if wants_json():
            return jsonify({"error": message}), error.code
        return render_template("error.html", code=error.code, message=message, page=""), error.code

    @app.errorhandler(ModelsLoading)
    def loading(_error):
        body = {"error": "the search models are loading; try again in a moment", "loading": True}
        return jsonify(body), 503, {"Retry-After": "2"}

    @app.errorhandler(LibraryError)
    def no_library(error):
        if wants_json():
            return jsonify({"error": str(error), "empty": True}), 404
        return render_template("error.html", code=404, message=str(error), page=""), 404

    @app.errorhandler(VisearchError)
    def domain_error(error):
        if wants_json():
            return jsonify({"error": str(error)}), 422
        return render_template("error.html", code=422, message=str(error), page=""), 422

    if app.config["WARM_UP"] and services.has_library():
        services.warm_up()
    return app
