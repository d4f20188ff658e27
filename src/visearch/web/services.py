"""What the web app shares across requests: the library, reopened when an indexer run changes it,
and models loaded once, lazily, in a background thread so pages render at once.

A request leases one *generation* (a library handle and the engine over it) for its whole
life. When the manifest changes, new requests get a new generation; the old one is closed
only when its last request has finished, so no request sees a handle closed under it.
"""
from __future__ import annotations

import threading

from flask import Flask, current_app, g, has_request_context

from visearch.errors import N_
from visearch.indexer.errors import VisearchError


class ModelsLoading(Exception):
    """Raised to a view while the models load; the API turns it into 503 + Retry-After."""


class Generation:
    """One opened library and the engine over it, with the number of requests using them."""

    def __init__(self, library, mtime: int) -> None:
        self.library = library
        self.mtime = mtime
        self.engine = None
        self.users = 0
        self.retired = False

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
        self.library.close()


class Services:
    def __init__(self, settings, ocr: str | None = None) -> None:
        self.settings = settings
        self.library_path = settings.library_path()
        self.ocr_name = ocr
        self._lock = threading.RLock()
        self._current: Generation | None = None
        self._models = None  # (encoder, ocr) once loaded
        self._loader: threading.Thread | None = None
        self.model_state = "idle"  # idle | loading | ready | error
        self.model_error = ""
        self._load_error: VisearchError | None = None  # what loading the models raised, said again to each query
        self._people, self._people_looked = None, False  # the person model for cut-outs, looked for once
        # A search runs its models on every core; more at once only thrash. Pages and thumbnails
        # (other server threads) keep flowing around them (bench/http_load.py measures the choice).
        self._searching = threading.BoundedSemaphore(settings.concurrent_searches)
        self._fancams = None

    def init_app(self, app: Flask) -> None:
        app.extensions["visearch"] = self
        app.teardown_request(self._release)

    # -- the library, one generation per manifest version

    def _manifest_mtime(self) -> int | None:
        from visearch.app.library import manifest_version

        return manifest_version(self.library_path)

    def lease(self) -> Generation:
        """The current generation, counted as in use until `release`."""
        from visearch.app.library import LibraryError, open_library

        mtime = self._manifest_mtime()
        with self._lock:
            current = self._current
            if current is None or mtime != current.mtime:
                if mtime is None:
                    raise LibraryError(N_("no visearch library at %(library_path)s"), code="library_missing",
                                       library_path=self.library_path)
                # FAISS memory-mapped read-only: the index stays in the page cache, not on this heap;
                # an indexer's save rewrites the manifest, and the next request opens the new file.
                self._current = Generation(open_library(self.settings, map_vectors=True), mtime)
                if current is not None:
                    self._retire(current)
            self._current.users += 1
            return self._current

    def release(self, generation: Generation) -> None:
        with self._lock:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                generation.close()

    def _retire(self, generation: Generation) -> None:
        generation.retired = True
        if generation.users == 0:
            generation.close()

    def _generation(self) -> Generation:
        """Inside a request: the request's own lease, taken on first use."""
        if not has_request_context():
            raise RuntimeError("the library is leased per request; call lease() outside one")
        if "visearch_generation" not in g:
            g.visearch_generation = self.lease()
        return g.visearch_generation

    def _release(self, _error=None) -> None:
        generation = g.pop("visearch_generation", None)
        if generation is not None:
            self.release(generation)

    @property
    def library(self):
        return self._generation().library

    def has_library(self) -> bool:
        return self._manifest_mtime() is not None

    def people_model(self):
        """The person model for cut-outs, loaded once for the server (None where it is not installed)."""
        with self._lock:
            if not self._people_looked:
                from visearch.app.models import person_model

                self._people, self._people_looked = person_model(self.settings), True
            return self._people

    def fancams(self):
        """The background fancam jobs of this library (web/jobs.py)."""
        from visearch.web.jobs import FancamJobs

        with self._lock:
            if self._fancams is None:
                self._fancams = FancamJobs(self, self.library_path / "fancams")
            return self._fancams

    # -- models

    def engine(self):
        """The search engine over this request's library, or ModelsLoading while models load."""
        from visearch.app.engines import engine_for

        generation = self._generation()
        with self._lock:
            if self._models is not None:
                if generation.engine is None:
                    generation.engine = engine_for(generation.library, self._models)
                return generation.engine
            if self.model_state == "error":
                raise self._load_error
            self._start_loading(generation.library.manifest)
        raise ModelsLoading()

    def searching(self) -> threading.BoundedSemaphore:
        """`with services().searching():` around a model-heavy query."""
        return self._searching

    def _start_loading(self, manifest) -> threading.Thread:
        if self._loader is None or not self._loader.is_alive():
            self.model_state = "loading"
            self._loader = threading.Thread(target=self._load, args=(manifest,), daemon=True)
            self._loader.start()
        return self._loader

    def _load(self, manifest) -> None:
        from visearch.app.engines import query_models

        try:
            models = query_models(self.settings, manifest, self.library_path, ocr=self.ocr_name, eager=True)
            with self._lock:
                self._models = models
                self.model_state = "ready"
        except Exception as exc:  # shown to the user as a friendly state, not a 500
            with self._lock:
                self.model_state, self.model_error = "error", str(exc)
                self._load_error = exc if isinstance(exc, VisearchError) else VisearchError(
                    N_("the search models could not be loaded: %(detail)s"), code="models_failed", detail=exc)

    def load_models(self) -> None:
        """Load the models now and wait for them (tests, scripts); raises what loading raised."""
        from visearch.app.library import manifest_at

        with self._lock:
            if self._models is not None:
                return
            loader = self._start_loading(manifest_at(self.library_path))
        loader.join()
        if self.model_state == "error":
            raise self._load_error

    def warm_up(self) -> None:
        """Start loading models now, so the first search does not wait."""
        from visearch.app.library import LibraryError, manifest_at

        try:
            manifest = manifest_at(self.library_path)
        except LibraryError:
            return
        if not manifest.clip:
            return
        with self._lock:
            if self._models is None and self.model_state != "error":
                self._start_loading(manifest)

    def close(self) -> None:
        with self._lock:
            if self._fancams is not None:
                self._fancams.close()
            if self._current is not None:
                self._retire(self._current)
                self._current = None


def services() -> Services:
    return current_app.extensions["visearch"]
