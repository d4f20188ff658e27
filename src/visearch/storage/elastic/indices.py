"""Creating a prefix's indices, and moving them to a new schema version, safely from N processes at once.

N indexing workers may start together on a fresh prefix: creation answers
`resource_already_exists_exception` to all but one, which is success for them.
A schema bump is done by the one process whose `create` of the new versioned
index succeeded: it reindexes, swaps the alias in one step, then deletes the
old index; the others wait for the alias to move.
"""
from __future__ import annotations

import time

from visearch.errors import N_
from visearch.storage.elastic import schema
from visearch.storage.elastic.session import EsError, bulk_write

UPGRADE_WAIT = 600.0  # seconds another process may take to reindex a kind into a new version
POLL = 1.0


def ensure_indices(client, prefix: str, *, vector_dims: int = 0, shards: int = 1, replicas: int = 0,
                   wait: float = UPGRADE_WAIT) -> None:
    """Create templates and indices on first use; move an alias to a new index when the schema changed."""
    for kind in schema.KINDS:
        dims = vector_dims if kind == "vectors" else 0
        client.indices.put_index_template(**schema.template(prefix, kind, vector_dims=dims, shards=shards,
                                                            replicas=replicas if kind != "meta" else 0))
        alias = schema.alias_name(prefix, kind)
        target = schema.index_name(prefix, kind)
        current = alias_target(client, alias)
        if current != target:
            _move_alias(client, prefix, kind, current, target, wait)
        if dims:
            client.indices.put_mapping(index=target, properties={"clip": schema.clip_field(dims)})


def _move_alias(client, prefix: str, kind: str, current: str | None, target: str, wait: float) -> None:
    alias = schema.alias_name(prefix, kind)
    if current is not None and schema.index_version(current) > schema.SCHEMA_VERSION:
        raise EsError(N_("%(alias)s holds schema v%(index_version)s; this visearch knows up to v%(schema_version)s: upgrade it"),
                      code="es_schema_too_new", alias=alias, index_version=schema.index_version(current),
                      schema_version=schema.SCHEMA_VERSION)
    created = create_index(client, target)  # settings and mappings come from the template
    if current is None:
        client.indices.update_aliases(actions=schema.alias_swap(prefix, kind, None, target))  # idempotent
        return
    if not created:  # another process is moving this kind: let it finish
        _wait_for_alias(client, alias, target, wait)
        return
    if kind == "items":
        _rescue_v1_vectors(client, prefix, current)
    client.reindex(**schema.reindex_request(current, target))
    client.indices.update_aliases(actions=schema.alias_swap(prefix, kind, current, target))
    client.indices.delete(index=current, ignore_unavailable=True)


def create_index(client, name: str) -> bool:
    """Create `name`; False when it exists already (another worker won the race), which is fine."""
    from elasticsearch import BadRequestError

    try:
        client.indices.create(index=name)
        return True
    except BadRequestError as exc:
        if already_exists(exc):
            return False
        raise


def already_exists(exc) -> bool:
    """Whether an ES error is `resource_already_exists_exception` (the 400 a lost creation race gets)."""
    error = getattr(exc, "body", None) or {}
    error = error.get("error", {}) if isinstance(error, dict) else {}
    kind = error.get("type") if isinstance(error, dict) else None
    return kind == "resource_already_exists_exception" or "resource_already_exists_exception" in str(exc)


def _wait_for_alias(client, alias: str, target: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while alias_target(client, alias) != target:
        if time.monotonic() > deadline:
            raise EsError(N_("%(alias)s has not moved to %(target)s after %(wait)s s: another visearch is upgrading it, or one stopped midway. If none is running, delete the index %(target2)s and start again."),
                          code="es_upgrade_stalled", alias=alias, target=target, wait=f'{wait:.0f}', target2=target)
        time.sleep(POLL)


def _rescue_v1_vectors(client, prefix: str, old_items: str) -> None:
    """Schema v1 kept CLIP vectors on items, outside `_source`, where a reindex cannot see them.

    Read them from doc values with a script field and write them to the `vectors` index first.
    """
    from elasticsearch import helpers

    mapping = client.indices.get_mapping(index=old_items)[old_items]["mappings"]
    clip = mapping.get("properties", {}).get("clip")
    if not clip:
        return
    dims = int(clip["dims"])
    vectors = schema.index_name(prefix, "vectors")
    client.indices.put_mapping(index=vectors, properties={"clip": schema.clip_field(dims)})
    hits = helpers.scan(client, index=old_items, query=schema.vector_scan_body(), size=500)
    actions = ({"_op_type": "index", "_index": vectors, "_id": hit["_id"],
                "_source": {"id": int(hit["_id"]), "clip": schema.script_vector(hit)}}
               for hit in hits if schema.script_vector(hit))
    bulk_write(client, actions)


def drop_indices(client, prefix: str) -> None:
    """Delete every index and template of `prefix` (tests, `migrate --replace`)."""
    for kind in schema.KINDS:
        alias = schema.alias_name(prefix, kind)
        current = alias_target(client, alias)
        if current:
            client.indices.delete(index=current, ignore_unavailable=True)
        if client.indices.exists_index_template(name=alias):
            client.indices.delete_index_template(name=alias)


def alias_target(client, alias: str) -> str | None:
    """The newest versioned index behind `alias` (by version number: v10 is newer than v2)."""
    if not client.indices.exists_alias(name=alias):
        return None
    return max(client.indices.get_alias(name=alias).body, key=schema.index_version)
