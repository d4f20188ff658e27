"""Moving a library between backends and sharded indexing: `visearch migrate`, `merge-vectors`, `train-vectors`."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from visearch.app.library import open_library
from visearch.app.settings import Settings
from visearch.errors import N_, InvalidInput


def migrate(settings: Settings, to: str):
    """Copy the library's documents to `to` ("elasticsearch": the settings' cluster; "sqlite": back here),
    under the writer lock; the report, and where it went."""
    from visearch.storage.scale.migrate import migrate as move

    es = settings.es() if to == "elasticsearch" else None
    if es is not None and not es.url:
        raise InvalidInput(N_("migrate --to elasticsearch needs --es-url or VISEARCH_ES_URL"), code="es_url_missing")
    with open_library(settings) as library:
        with library.writing():
            report = move(library, to, es)
    return report, es


def merge_vectors(settings: Settings, shards: Sequence[Path]):
    """The vector shards of N indexing workers, combined into the settings' library."""
    from visearch.storage.scale.shards import merge_shards

    return merge_shards(settings.library_path(), shards, settings.store_options())


def train_vectors(settings: Settings, out: Path, expected: int = 0) -> tuple[int, Path]:
    """An empty IVF-PQ index trained on the library's vectors, for workers to start from: (vectors used, root)."""
    from visearch.storage.scale.shards import train_template

    with open_library(settings, read_only=True) as library:
        return train_template(library, out, expected=expected), library.root
