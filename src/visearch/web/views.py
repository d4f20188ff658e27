"""Helpers shared by the API and the pages: request parsing, the write token, safe links. No queries."""
from __future__ import annotations

import hmac

from flask import abort, current_app, request

from visearch.storage.browse import BrowseQuery
from visearch.web.security import http_url


def require_token() -> None:
    """Write endpoints need the token when the server is reachable from other machines."""
    token = current_app.config.get("WRITE_TOKEN")
    if not token:
        return
    given = request.headers.get("X-Visearch-Token") or request.cookies.get("visearch_token") or ""
    if not hmac.compare_digest(given, token):
        abort(403, "this server needs a write token (X-Visearch-Token header) for changes")


def browse_query(params: dict) -> BrowseQuery:
    """Validated parameters (see `visearch.web.params.BROWSE`) → the store's query value."""
    sort = params.get("sort") or "added"
    order = params.get("order") or ("desc" if sort == "added" else "asc")
    has_text = {"1": True, "0": False}.get(params.get("has_text") or "")
    return BrowseQuery(
        kind=params.get("kind"), people=params.get("person") or (), person_mode=params.get("person_mode") or "and",
        not_people=params.get("not_person") or (), has_text=has_text, text=params.get("text") or "",
        brand=params.get("brand") or "", category=params.get("category") or "", source=params.get("source") or "",
        sort=sort, descending=order == "desc", page=params.get("page") or 1, per_page=params.get("per_page") or 48,
    )


def safe_links(data):
    """An answer from `search/` with every product link checked: only absolute http(s) URLs survive
    (no `javascript:` from a catalogue CSV reaches a page or a script)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "product" and isinstance(value, dict):
                value["url"] = http_url(value.get("url")) or ""
            else:
                safe_links(value)
    elif isinstance(data, list):
        for value in data:
            safe_links(value)
    return data


