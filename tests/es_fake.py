"""A recording stand-in for an Elasticsearch cluster: enough of the client's surface to check the requests
visearch sends (bodies, order, race handling) without a server. It emulates only what the tests need:
indices with aliases, counter documents updated by visearch's own scripts, and canned search answers."""
from __future__ import annotations

import threading

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import BadRequestError, NotFoundError

from visearch.storage.elastic import schema


def api_error(error_type: str, status: int = 400):
    """The client's exception for an ES error answer (400: BadRequestError, 404: NotFoundError)."""
    meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0,
                           node=NodeConfig("http", "localhost", 9200))
    kind = NotFoundError if status == 404 else BadRequestError
    return kind(message=error_type, meta=meta, body={"error": {"type": error_type, "reason": "test"}})


class _Indices:
    def __init__(self, cluster: "FakeCluster") -> None:
        self.cluster = cluster

    def put_index_template(self, **kwargs):
        self.cluster.record("put_index_template", **kwargs)

    def exists_index_template(self, name):
        return False

    def exists_alias(self, name):
        return name in self.cluster.aliases

    def get_alias(self, name):
        return type("Answer", (), {"body": {index: {} for index in self.cluster.aliases[name]}})()

    def exists(self, index):
        return index in self.cluster.store

    def create(self, index):
        with self.cluster.lock:
            self.cluster.record("create", index=index)
            if index in self.cluster.store:
                raise api_error("resource_already_exists_exception")
            self.cluster.store[index] = {}
            self.cluster.mappings[index] = {}

    def put_mapping(self, index, properties):
        self.cluster.record("put_mapping", index=index, properties=properties)
        self.cluster.mappings.setdefault(self.cluster.resolve(index), {}).update(properties)

    def get_mapping(self, index):
        return {index: {"mappings": {"properties": self.cluster.mappings.get(index, {})}}}

    def update_aliases(self, actions):
        self.cluster.record("update_aliases", actions=actions)
        with self.cluster.lock:
            for action in actions:
                (verb, body), = action.items()
                targets = self.cluster.aliases.setdefault(body["alias"], set())
                (targets.add if verb == "add" else targets.discard)(body["index"])

    def delete(self, index, ignore_unavailable=False):
        self.cluster.record("delete", index=index)
        self.cluster.store.pop(index, None)

    def refresh(self, index):
        self.cluster.record("refresh", index=index)


class FakeCluster:
    """Use as the `client` argument; `calls` lists (method, kwargs) in order."""

    def __init__(self, version: str = "9.2.1") -> None:
        self.version = version
        self.calls: list[tuple[str, dict]] = []
        self.store: dict[str, dict[str, dict]] = {}  # index → id → _source
        self.mappings: dict[str, dict] = {}
        self.aliases: dict[str, set[str]] = {}
        self.answers: list[dict] = []  # canned search responses, served in order
        self.lock = threading.RLock()
        self.indices = _Indices(self)  # the indices API, as on the real client

    def record(self, method: str, **kwargs) -> None:
        with self.lock:
            self.calls.append((method, kwargs))

    def called(self, method: str) -> list[dict]:
        return [kwargs for name, kwargs in self.calls if name == method]

    def resolve(self, name: str) -> str:
        targets = self.aliases.get(name)
        return max(targets, key=schema.index_version) if targets else name

    # -- the client's surface

    def info(self):
        return {"version": {"number": self.version}}

    def options(self, **_):
        return self

    def update(self, index, id, script=None, upsert=None, **kwargs):
        self.record("update", index=index, id=id, script=script, upsert=upsert, **kwargs)
        with self.lock:
            docs = self.store.setdefault(self.resolve(index), {})
            if id not in docs:
                if upsert is None:
                    raise api_error("document_missing_exception", 404)
                docs[id] = dict(upsert)
            elif script["source"] == schema.ALLOCATE_SCRIPT:
                docs[id]["next"] = int(docs[id]["next"]) + int(script["params"]["n"])
            elif script["source"] == schema.ADVANCE_SCRIPT:
                docs[id]["next"] = max(int(docs[id]["next"]), int(script["params"]["m"]))
            elif script["source"] == schema.APPEND_VECTOR_SCRIPT:
                field = script["params"]["field"]
                docs[id].setdefault(field, {"vectors": []})["vectors"].append(script["params"]["v"])
            return {"get": {"_source": dict(docs[id])}}

    def reindex(self, **kwargs):
        self.record("reindex", **kwargs)
        source, dest = kwargs["source"]["index"], kwargs["dest"]["index"]
        self.store.setdefault(dest, {}).update(self.store.get(source, {}))

    def search(self, index=None, **kwargs):
        self.record("search", index=index, **kwargs)
        if self.answers:
            return self.answers.pop(0)
        return {"hits": {"hits": [], "total": {"value": 0}}}

    def count(self, index=None, query=None):
        self.record("count", index=index, query=query)
        return {"count": len(self.store.get(self.resolve(index), {}))}

    def mget(self, index, ids, source=True):
        self.record("mget", index=index, ids=ids, source=source)
        docs = self.store.get(self.resolve(index), {})
        return {"docs": [{"_id": i, "found": i in docs, "_source": docs.get(i, {})} for i in ids]}

    def delete_by_query(self, **kwargs):
        self.record("delete_by_query", **kwargs)

    def update_by_query(self, **kwargs):
        self.record("update_by_query", **kwargs)

    def close(self):
        self.record("close")
