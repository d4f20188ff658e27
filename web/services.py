"""What the web app shares across requests: one library handle and models loaded once, lazily.

The first search may wait for CLIP and OCR to load; that happens in a
background thread so pages render at once and show the loading state.
"""
from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from indexer.errors import VisearchError


class ModelsLoading(Exception):
    """Raised to a view while the models load; the API turns it into 503 + Retry-After."""


class Services:
    def __init__(self, library_path: Path, ocr: str | None = None) -> None:
        self.library_path = Path(library_path)
        self.ocr_name = ocr
        self._lock = threading.RLock()
        self._library = None
        self._manifest_mtime = None
        self._engine = None
        self._loader: threading.Thread | None = None
        self.model_state = "idle"  # idle | loading | ready | error
        self.model_error = ""

    def init_app(self, app: Flask) -> None:
        app.extensions["visearch"] = self

    # -- the library, reopened when an indexer run changed it underneath us

    @property
    def library(self):
        from search.library import MANIFEST, Library, LibraryError

        manifest = self.library_path / MANIFEST
        mtime = manifest.stat().st_mtime_ns if manifest.exists() else None
        with self._lock:
            if self._library is None or mtime != self._manifest_mtime:
                if mtime is None:
                    raise LibraryError(f"no visearch library at {self.library_path}")
                if self._library is not None:
                    self._library.close()
                self._library = Library.open(self.library_path)
                self._manifest_mtime = mtime
                self._engine = None if self.model_state != "ready" else self._rebuild_engine()
        return self._library

    def has_library(self) -> bool:
        from search.library import MANIFEST

        return (self.library_path / MANIFEST).exists()

    def people(self):
        from search.people import people_index

        return people_index(self.library)

    # -- models

    def engine(self, *, wait: bool = False):
        """The search engine, or ModelsLoading while its models load in the background."""
        library = self.library
        with self._lock:
            if self._engine is not None:
                return self._engine
            if self.model_state == "error":
                raise VisearchError(self.model_error)
            if self._loader is None or not self._loader.is_alive():
                self.model_state = "loading"
                self._loader = threading.Thread(target=self._load, args=(library,), daemon=True)
                self._loader.start()
            loader = self._loader
        if wait:
            loader.join()
            return self.engine()
        raise ModelsLoading()

    def _rebuild_engine(self):
        from search.engine import SearchEngine

        old = self._engine
        return SearchEngine(self._library, old.encoder, old.ocr) if old is not None else None

    def _load(self, library) -> None:
        from indexer.models.ocr import create_ocr
        from search.engine import SearchEngine, encoder_for

        try:
            encoder = encoder_for(library)
            encoder.load()
            ocr = create_ocr(self.ocr_name or library.manifest.ocr or "rapidocr")
            if ocr is not None:
                ocr.load()
            with self._lock:
                self._engine = SearchEngine(self.library, encoder, ocr)
                self.model_state = "ready"
        except Exception as exc:  # shown to the user as a friendly state, not a 500
            with self._lock:
                self.model_state, self.model_error = "error", str(exc)

    def warm_up(self) -> None:
        """Start loading models now, so the first search does not wait."""
        try:
            self.engine()
        except (ModelsLoading, VisearchError):
            pass

    def close(self) -> None:
        with self._lock:
            if self._library is not None:
                self._library.close()
                self._library = None


def services() -> Services:
    return current_app.extensions["visearch"]
