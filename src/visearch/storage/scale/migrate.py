"""Moving a library's documents between the embedded store and Elasticsearch, ids and all, either way.

Ids are kept, so the FAISS file, features and thumbnails stay valid as they
are. Everything goes through the store protocols (documents, faces, vectors),
so neither side's internals are touched. The source is left in place as a
backup and the manifest switches last: an interrupted migration leaves the
library working on its old backend.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterable, Iterator

from visearch.errors import N_
from visearch.storage.backends import SQLITE_FILE, Backend, open_elasticsearch, open_faiss, open_sqlite
from visearch.storage.codec import chunks
from visearch.storage.library import Library, LibraryError, vectors_file
from visearch.storage.faces import PeopleExport

CHUNK = 500


@dataclass
class MigrationReport:
    items: int = 0
    videos: int = 0
    products: int = 0
    faces: int = 0
    tracks: int = 0
    people: int = 0
    vectors: int = 0  # vectors moved from the cluster into a FAISS file (to sqlite only)

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name}" for f in fields(self))


def migrate(library: Library, to: str, settings=None) -> MigrationReport:
    """Copy documents, people and (from ES kNN) vectors to the `to` backend, then switch the manifest."""
    if to == library.manifest.backend:
        raise LibraryError(N_("%(root)s already keeps its documents in %(to)s"), code="migrate_already_there",
                           root=library.root, to=to)
    if to == "elasticsearch":
        from visearch.storage.elastic.session import without_credentials

        target = open_elasticsearch(settings)
        switch = {"backend": to, "es_url": without_credentials(settings.url), "es_prefix": settings.prefix}
    elif to == "sqlite":
        path = library.root / SQLITE_FILE
        if path.exists():
            raise LibraryError(N_("%(path)s exists (the backup of an earlier migration?): move it away first"),
                               code="migrate_backup_exists", path=path)
        target = open_sqlite(path)
        switch = {"backend": to, "es_url": "", "es_prefix": "", "vector_store": "faiss"}
    else:
        raise LibraryError(N_("unknown backend %(to)s: choose sqlite or elasticsearch"), code="backend_unknown",
                           to=f'{to!r}')
    try:
        report = copy_documents(library, target)
        if to == "sqlite" and library.manifest.vector_store == "elasticsearch" and library.manifest.dim:
            report.vectors = _vectors_to_faiss(library)
        target.docs.commit()
    finally:
        target.close()
    library.update_manifest(**switch)
    return report


def copy_documents(library: Library, target: Backend) -> MigrationReport:
    source = library.docs
    report = MigrationReport()
    products = source.products()
    target.docs.upsert_products(products)  # first, so items pick up their catalogue fields as they arrive
    report.products = len(products)
    video_ids = [state.id for state in source.file_states() if state.kind == "video"]
    for chunk in chunks(video_ids, CHUNK):
        for video in source.get_videos(chunk).values():
            target.docs.upsert_video(video)
    report.videos = len(video_ids)
    item_ids = source.item_ids()
    for chunk in chunks(item_ids, CHUNK):
        target.docs.upsert(list(source.get(chunk).values()))
    report.items = len(item_ids)
    for sequence, ids in (("items", item_ids), ("videos", video_ids)):
        target.docs.reserve_ids(sequence, max(ids, default=0))
    exported = library.faces.export()
    counted = {name: _Counter(getattr(exported, name)) for name in ("people", "tracks", "faces")}
    target.faces.import_records(PeopleExport(counted["people"], counted["tracks"], counted["faces"],
                                             exported.forgotten))
    report.people, report.tracks, report.faces = (counted[name].count for name in ("people", "tracks", "faces"))
    return report


def _vectors_to_faiss(library: Library) -> int:
    path = vectors_file(library.root, library.manifest)
    if path.exists():
        raise LibraryError(N_("%(path)s exists: move it away so the cluster's vectors can be written there"),
                           code="migrate_vectors_exist", path=path)
    store = open_faiss(path, library.manifest.dim, options=library.options)
    for ids, vectors in library.vectors.blocks():
        store.add(ids, vectors)
    store.save()
    return len(store)


class _Counter:
    """Counts what passes through an iterable (exports stream: their length is known only at the end)."""

    def __init__(self, records: Iterable) -> None:
        self.records = records
        self.count = 0

    def __iter__(self) -> Iterator:
        for record in self.records:
            self.count += 1
            yield record

