"""One interface for every model: lazy `load()`, `close()` to free, a name for the manifest."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class InferenceModel(ABC):
    """Loads its weights on first use, so building a pipeline costs nothing until it runs."""

    #: What kind of model this is ("clip", "ocr", "faces"); registries key on it.
    kind: str = ""

    def __init__(self) -> None:
        self._loaded = False
        self._load_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        if self._loaded:
            return
        with self._load_lock:  # web requests may race to the first load
            if not self._loaded:
                self._load()
                self._loaded = True

    def close(self) -> None:
        """Free the weights; a later call loads them again."""
        with self._load_lock:
            if self._loaded:
                self._close()
                self._loaded = False

    @property
    @abstractmethod
    def identity(self) -> str:
        """A stable string recorded in the library manifest: same identity, same outputs."""

    @abstractmethod
    def _load(self) -> None: ...

    def _close(self) -> None:
        """Drop references so the garbage collector frees the weights."""
