"""Which store classes a library's manifest names: the one place that picks a backend.

Everything else holds a `DocumentStore`, a `FaceStore` and a `VectorStore`
(the protocols in documents.py, people/store.py and vectors/store.py) and never
names a backend class.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from visearch.errors import N_, InvalidInput
from visearch.storage.documents import DocumentStore
from visearch.storage.tags import TagStore
from visearch.storage.faces import FaceStore
from visearch.storage.vectors.faiss_store import DEFAULT_ANN_THRESHOLD, DEFAULT_IVF_THRESHOLD, FaissVectorStore
from visearch.storage.vectors.store import VectorStore
from visearch.storage.vectors.tuning import DEFAULT_TARGET_RECALL

if TYPE_CHECKING:
    from visearch.storage.elastic.session import EsSettings

SQLITE_FILE = "items.sqlite"
DEFAULT_WRITE_WAIT = 5.0


@dataclass(frozen=True)
class StoreOptions:
    """How a library's stores open: what the application's settings hand this layer (nothing here reads
    the environment)."""

    es: "EsSettings | None" = None  # the configured cluster and credentials (a URL may be empty)
    es_explicit: bool = False  # the user named the cluster for this run: it wins over a library's own
    ann_threshold: int = DEFAULT_ANN_THRESHOLD
    ivf_threshold: int = DEFAULT_IVF_THRESHOLD
    target_recall: float = DEFAULT_TARGET_RECALL
    write_wait: float = DEFAULT_WRITE_WAIT  # seconds a change waits for another writer

    def es_for(self, manifest) -> "EsSettings":
        """The cluster of an Elasticsearch library: an explicit choice, else the one it records, with the
        configured credentials."""
        from dataclasses import replace

        from visearch.storage.elastic.session import EsError, EsSettings

        configured = self.es or EsSettings(url="")
        if not self.es_explicit:
            configured = replace(configured, url=manifest.es_url or configured.url,
                                 prefix=manifest.es_prefix or configured.prefix)
        if not configured.url:
            raise EsError(N_("no Elasticsearch URL: pass --es-url or set VISEARCH_ES_URL"), code="es_url_missing")
        return configured


@dataclass
class Backend:
    """A library's document and face stores, and where its vectors live."""

    docs: DocumentStore
    faces: FaceStore
    tags: TagStore
    knn: Callable[[int], VectorStore] | None = None  # vectors on the cluster, given their dimension; None: FAISS

    def close(self) -> None:
        self.docs.close()


def open_sqlite(path: Path, *, read_only: bool = False) -> Backend:
    from visearch.storage.sqlite.database import Database
    from visearch.storage.sqlite.documents import SqliteDocumentStore
    from visearch.storage.sqlite.faces import SqliteFaceStore
    from visearch.storage.sqlite.tags import SqliteTagStore

    database = Database(path, read_only=read_only and Path(path).exists())
    return Backend(SqliteDocumentStore(database), SqliteFaceStore(database), SqliteTagStore(database))


def open_elasticsearch(settings, *, vector_dims: int = 0, knn: bool = False, shards: int = 1,
                       replicas: int = 0) -> Backend:
    """Connect, create or upgrade the prefix's indices, and open its stores."""
    from visearch.storage.elastic.documents import EsDocumentStore
    from visearch.storage.elastic.faces import EsFaceStore
    from visearch.storage.elastic.indices import ensure_indices
    from visearch.storage.elastic.session import EsSession, connect
    from visearch.storage.elastic.tags import EsTagStore
    from visearch.storage.elastic.vectors import EsVectorStore

    client = connect(settings)
    ensure_indices(client, settings.prefix, vector_dims=vector_dims if knn else 0, shards=shards, replicas=replicas)
    session = EsSession(client, settings.prefix)
    docs = EsDocumentStore(session)
    return Backend(docs, EsFaceStore(session, docs), EsTagStore(session),
                   (lambda dim: EsVectorStore(session, dim)) if knn else None)


def open_backend(root: Path, manifest, options: StoreOptions = StoreOptions(), *,
                 read_only: bool = False) -> Backend:
    """The stores a manifest names; an Elasticsearch library's credentials come from `options`."""
    if manifest.backend == "sqlite":
        return open_sqlite(Path(root) / SQLITE_FILE, read_only=read_only)
    if manifest.backend == "elasticsearch":
        knn = manifest.vector_store == "elasticsearch"
        return open_elasticsearch(options.es_for(manifest), vector_dims=manifest.dim, knn=knn)
    raise InvalidInput(N_("%(root)s uses the '%(backend)s' backend, which this build cannot open"),
                       code="backend_unknown", root=root, backend=manifest.backend)


def open_faiss(path: Path, dim: int, *, read_only: bool = False, options: StoreOptions = StoreOptions()
               ) -> FaissVectorStore:
    """The FAISS store, with the size thresholds and target recall the settings give."""
    return FaissVectorStore(path, dim, read_only=read_only, ann_threshold=options.ann_threshold,
                            ivf_threshold=options.ivf_threshold, target_recall=options.target_recall)
