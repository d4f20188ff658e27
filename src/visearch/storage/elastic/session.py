"""The connection toolkit every Elasticsearch store shares: settings, connecting, a session.

Credentials come from options or the environment (`VISEARCH_ES_URL`,
`VISEARCH_ES_API_KEY`, `VISEARCH_ES_USER` + `VISEARCH_ES_PASSWORD`,
`VISEARCH_ES_CA_CERTS`) and are never written into the library manifest.
`EsSession` holds what the document, face and vector stores use in common:
index names, id blocks, bulk writes that lose nothing, scans, freshness.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

from visearch.errors import N_
from visearch.indexer.errors import VisearchError
from visearch.storage.codec import chunks
from visearch.storage.elastic import schema

RETRYABLE = {429, 500, 502, 503, 504}
# int8_hnsw, the quantised kNN index the CLIP vectors use, arrived in 8.12; nothing else needs newer.
MIN_SERVER = (8, 12)
ID_BLOCK = 256
MGET_CHUNK = 1000
INSTALL_HINT = {8: "pip install 'visearch[es8]'  (elasticsearch-py 8.x)",
                9: "pip install 'visearch[es9]'  (elasticsearch-py 9.x)"}
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
        more = f" (+{len(failures) - 5})" if len(failures) > 5 else ""
        super().__init__(N_("%(count)s documents were not written to Elasticsearch: %(detail)s"), code="es_bulk_failed",
                         count=len(failures), detail=shown + more)


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



def connect(settings: EsSettings):
    """A client that retries whole requests on 429/5xx and timeouts, with backoff."""
    try:
        import elasticsearch
    except ImportError:
        raise EsError(N_("the Elasticsearch client is not installed: %(install_hint)s, or for an 8.x server %(install_hint2)s"),
                      code="es_client_missing", install_hint=INSTALL_HINT[9], install_hint2=INSTALL_HINT[8]) from None
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
    client = elasticsearch.Elasticsearch(settings.url, **options)
    client_major = int(elasticsearch.__versionstr__.split(".")[0])
    check_server(_server_version(client, settings.url), client_major, settings.url)
    return client


def _server_version(client, url: str) -> str:
    try:
        return str(client.info()["version"]["number"])
    except Exception as exc:  # connection refused, TLS, auth, or a client a major ahead of the server
        try:  # ask again without the client's `compatible-with` header, to name the server's version
            plain = client.perform_request("GET", "/", headers={"accept": "application/json"})
            return str(plain.body["version"]["number"])
        except Exception:
            raise EsError(N_("cannot reach Elasticsearch at %(url)s: %(exc)s"), code="es_unreachable", url=url,
                          exc=exc) from None


def check_server(version: str, client_major: int, url: str = "the server") -> None:
    """Refuse servers older than MIN_SERVER, and a client a major ahead of the server.

    A 9.x client sends `compatible-with=9`, which an 8.x server refuses; an 8.x
    client talks to 9.x through its REST compatibility. Say what to install.
    """
    parts = [int(p) for p in version.split("-")[0].split(".")[:2] if p.isdigit()]
    major, minor = (parts + [0, 0])[:2]
    if (major, minor) < MIN_SERVER:
        raise EsError(N_("Elasticsearch %(version)s at %(url)s is too old: visearch needs %(min_server)s.%(min_server2)s+ (the int8_hnsw vector index)"),
                      code="es_too_old", version=version, url=url, min_server=MIN_SERVER[0],
                      min_server2=MIN_SERVER[1])
    if client_major > major:
        hint = INSTALL_HINT.get(major, f"pip install 'elasticsearch>={major},<{major + 1}'")
        raise EsError(N_("Elasticsearch at %(url)s is %(version)s, but the installed Python client is %(client_major)s.x, which it cannot talk to: %(hint)s"),
                      code="es_client_mismatch", url=url, version=version, client_major=client_major, hint=hint)


def without_credentials(url: str) -> str:
    """`https://user:secret@host:9200` → `https://host:9200`: the manifest is not a secret store."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


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
            elif status in RETRYABLE and attempt < BULK_RETRIES:
                retry.append(action)  # a busy or recovering cluster (transport errors raise, after the client's retries)
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


class EsSession:
    """One cluster and index prefix, as the stores of a library use it.

    ES is near-real-time; SQLite is not. To keep one contract, every write marks
    the session stale and the next search refreshes first (reads by id are
    real-time anyway); `commit()` refreshes so a finished run is searchable.
    """

    def __init__(self, client, prefix: str = "visearch") -> None:
        self.client = client
        self.prefix = prefix
        self._lock = threading.RLock()
        self._blocks: dict[str, list[int]] = {}
        self._stale = False

    def index(self, kind: str) -> str:
        return schema.alias_name(self.prefix, kind)

    # -- ids

    def allocate(self, sequence: str, count: int) -> list[int]:
        """`count` new ids of `sequence`, unique across every process writing to this cluster."""
        with self._lock:
            block = self._blocks.setdefault(sequence, [])
            while len(block) < count:
                size = max(ID_BLOCK, count - len(block))
                response = self.client.update(index=self.index("meta"), id=sequence, **schema.allocate_request(size))
                end = int(response["get"]["_source"]["next"])
                block.extend(range(end - size + 1, end + 1))
            ids, self._blocks[sequence] = block[:count], block[count:]
        return ids

    def advance(self, sequence: str, at_least: int) -> None:
        """Make later ids of `sequence` start above `at_least` (after copying records with their ids)."""
        self.client.update(index=self.index("meta"), id=sequence, **schema.advance_request(at_least))
        with self._lock:
            self._blocks.pop(sequence, None)

    # -- freshness

    def touched(self) -> None:
        self._stale = True

    def fresh(self) -> None:
        """Make earlier writes visible to searches (ES publishes them on refresh)."""
        if self._stale:
            self.client.indices.refresh(index=f"{self.prefix}-*")
            self._stale = False

    def commit(self) -> None:
        self._stale = True
        self.fresh()

    # -- reading and writing

    def scan(self, kind: str, query: dict | None = None, *, source=True, sort: list | None = None,
             **body) -> Iterator[dict]:
        from elasticsearch import helpers

        self.fresh()
        request: dict = {"query": query or {"match_all": {}}, "_source": source, **body}
        if sort:
            request["sort"] = sort
        yield from helpers.scan(self.client, index=self.index(kind), query=request, preserve_order=bool(sort),
                                size=1000)

    def sources(self, kind: str, query: dict | None = None, sort: list | None = None) -> Iterator[dict]:
        return (hit["_source"] for hit in self.scan(kind, query, sort=sort))

    def search(self, kind: str, **kwargs) -> dict:
        self.fresh()
        return self.client.search(index=self.index(kind), **kwargs)

    def count(self, kind: str, query: dict | None = None) -> int:
        self.fresh()
        return int(self.client.count(index=self.index(kind), query=query or {"match_all": {}})["count"])

    def write(self, actions: list[dict]) -> None:
        if actions:
            bulk_write(self.client, actions)
            self.touched()

    def by_query(self, kind: str, query: dict, script: dict | None = None) -> None:
        """update_by_query with `script`, delete_by_query without; both wait and refresh."""
        self.fresh()
        if script is None:
            self.client.delete_by_query(index=self.index(kind), query=query, refresh=True, conflicts="proceed")
        else:
            self.client.update_by_query(index=self.index(kind), query=query, script=script, refresh=True,
                                        conflicts="proceed")

    def mget(self, kind: str, ids: Sequence, source=True) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for chunk in chunks([str(i) for i in ids], MGET_CHUNK):
            response = self.client.mget(index=self.index(kind), ids=chunk, source=source)
            for doc in response["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = doc.get("_source", {})
        return found

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.client.close()
