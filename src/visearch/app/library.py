"""Opening a library the way the settings say, and the shape every change takes."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from visearch.app.settings import Settings
from visearch.storage.library import MANIFEST, Library, LibraryError, Manifest, read_manifest

# The files the web serves (an item, a video, a thumbnail, a face), each checked to be what was indexed:
# the pages reach them through the application, as every other door does.
from visearch.storage.media import MediaUnavailable, face_crop, item_file, thumbnail_file, video_file  # noqa: E402

__all__ = ["open_library", "changing", "manifest_at", "manifest_version", "failures", "Library", "LibraryError",
           "MediaUnavailable", "face_crop", "item_file", "thumbnail_file", "video_file"]


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


def manifest_at(path: Path) -> Manifest:
    """The manifest of the library at `path` (LibraryError when there is none)."""
    return read_manifest(Path(path))


def manifest_version(path: Path) -> int | None:
    """When the library at `path` last changed (its manifest's mtime, ns), or None when there is no library."""
    try:
        return (Path(path) / MANIFEST).stat().st_mtime_ns
    except OSError:
        return None


def failures(library: Library) -> list[dict]:
    """The files an index run could not read, each with why: `visearch errors`, the stats page."""
    return [{"path": str(f.path), "reason": f.reason} for f in library.docs.failures()]
