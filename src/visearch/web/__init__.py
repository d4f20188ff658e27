"""The web front end (`visearch.web.app`: the Flask app, its JSON API and pages) and the `visearch` command (`visearch.cli`).

Kept free of imports: the command line must not pay for Flask on every `visearch search`.
"""
from __future__ import annotations


def create_app(config: dict | None = None, settings=None):
    """The Flask app (see `visearch.web.app.create_app`)."""
    from visearch.web.app import create_app as build

    return build(config, settings)
