"""Connecting to Elasticsearch and writing to it in bulk without losing a document.

Credentials come from options or the environment (`VISEARCH_ES_URL`,
`VISEARCH_ES_API_KEY`, `VISEARCH_ES_USER` + `VISEARCH_ES_PASSWORD`,
`VISEARCH_ES_CA_CERTS`) and are never written into the library manifest.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Iterable

from indexer.errors import VisearchError

RETRYABLE = {429, 500, 502, 503, 504}
BULK_RETRIES = 6
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 30.0


class EsError(VisearchError):
    pass


class BulkWriteError(EsError):
    """Some documents could not be written; each is named with its reason."""

    def __init__(self, failures: list[tuple[str, str, str]]) -> None:
        self.failures = failures  # (index, id, reason)
        shown = "; ".join(f"{index}/{doc_id}: {reason}" for index, doc_id, reason in failures[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} documents were not written to Elasticsearch: {shown}{more}")


@dataclass(frozen=True)
class EsSettings:
    url: str
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: str = ""
    verify_certs: bool = True
    prefix: str = "visearch"
    request_timeout: float = 30.0

    @classmethod
    def from_env(cls, url: str | None = None, prefix: str | None = None, **overrides) -> "EsSettings":
        """Options win over the environment; empty values fall through to it."""
        env = os.environ
        url = url or env.get("VISEARCH_ES_URL", "")
        if not url:
            raise EsError("no Elasticsearch URL: pass --es-url or set VISEARCH_ES_URL")
        values = {
            "api_key": env.get("VISEARCH_ES_API_KEY", ""),
            "username": env.get("VISEARCH_ES_USER", ""),
            "password": env.get("VISEARCH_ES_PASSWORD", ""),
            "ca_certs": env.get("VISEARCH_ES_CA_CERTS", ""),
        }
        values.update({key: value for key, value in overrides.items() if value})
        return cls(url=url, prefix=prefix or env.get("VISEARCH_ES_PREFIX", "visearch"), **values)


def connect(settings: EsSettings):
    """A client that retries whole requests on 429/5xx and timeouts, with backoff."""
    from elasticsearch import Elasticsearch

    options: dict = {
        "request_timeout": settings.request_timeout,
        "max_retries": 5,
        "retry_on_status": (429, 502, 503, 504),
        "retry_on_timeout": True,
    }
    if settings.api_key:
        options["api_key"] = settings.api_key
    elif settings.username:
        options["basic_auth"] = (settings.username, settings.password)
    if settings.ca_certs:
        options["ca_certs"] = settings.ca_certs
    if not settings.verify_certs:
        options["verify_certs"] = False
    client = Elasticsearch(settings.url, **options)
    try:
        info = client.info()
    except Exception as exc:  # connection refused, TLS, auth: say which server and why
        raise EsError(f"cannot reach Elasticsearch at {settings.url}: {exc}") from None
    major = int(str(info["version"]["number"]).split(".")[0])
    if major < 8:
        raise EsError(f"Elasticsearch {info['version']['number']} at {settings.url} is too old: visearch needs 8.14+")
    return client


def bulk_write(client, actions: Iterable[dict], *, chunk_size: int = 500) -> int:
    """Write every action or raise `BulkWriteError` naming the ones that failed.

    Documents rejected with 429 or 5xx (a busy or recovering cluster) are sent
    again with exponential backoff; anything else (a mapping conflict, a bad
    value) is reported per document at the end, after the rest were written.
    """
    from elasticsearch import helpers

    pending = list(actions)
    written = 0
    failures: list[tuple[str, str, str]] = []
    backoff = INITIAL_BACKOFF
    for attempt in range(BULK_RETRIES + 1):
        retry: list[dict] = []
        results = helpers.streaming_bulk(
            client, pending, chunk_size=chunk_size, raise_on_error=False, raise_on_exception=False, max_retries=0,
        )
        for action, (ok, result) in zip(pending, results):  # results come back in the order sent
            op, info = next(iter(result.items()))
            status = info.get("status")
            if ok or (op == "delete" and status == 404):  # a delete of a missing document did its job
                written += 1
            elif (status in RETRYABLE or not isinstance(status, int)) and attempt < BULK_RETRIES:
                retry.append(action)  # a busy cluster, or the whole request failed in transport
            else:
                failures.append((str(action.get("_index")), str(action.get("_id")), _reason(info)))
        if not retry:
            break
        time.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)
        pending = retry
    if failures:
        raise BulkWriteError(failures)
    return written


def _reason(info: dict) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    return str(error or f"status {info.get('status')}")
