"""Opening a library the way the settings say, and the shape every change takes."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from visearch.storage.library import Library
from visearch.app.settings import Settings


def open_library(settings: Settings, *, create: bool = False, read_only: bool = False, backend: str | None = None,
                 es_vectors: bool = False, explicit_es: bool = False, map_vectors: bool = False) -> Library:
    """The settings' library; `backend` and `es_vectors` only matter for a new one. `explicit_es`: the
    user named a cluster for this run, which wins over the one the library records."""
    return Library.open(settings.library_path(), create=create, read_only=read_only, backend=backend,
                        es_vectors=es_vectors, map_vectors=map_vectors,
                        options=settings.store_options(explicit_es=explicit_es))


@contextmanager
def changing(library: Library) -> Iterator[Library]:
    """`with changing(library):` one change under the writer lock (waiting the settings' `write_wait` for
    another writer), saved when the block ends without an error."""
    with library.writing():
        yield library
        library.save()
