"""Errors of reading media and loading models; the base classes live in visearch/errors.py."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from visearch.errors import N_, InvalidInput, Unavailable, VisearchError

__all__ = ["VisearchError", "InvalidInput", "MediaError", "UnsupportedMediaError", "ImageTooLargeError",
           "ModelUnavailableError", "UnknownModelError", "BadBox"]


class MediaError(VisearchError):
    """One input file could not be used; the run goes on without it. The message is "PATH: REASON"."""

    def __init__(self, path: Path | str, reason: str, /, code: str = "media_unreadable", **values) -> None:
        self.path = Path(path)
        super().__init__(reason, code=code, **values)

    @property
    def reason(self) -> str:
        return VisearchError.format(self)

    def format(self, translate: Callable[[str], str] = str) -> str:
        return f"{self.path}: {super().format(translate)}"


class UnsupportedMediaError(MediaError):
    """The file's content is not an image (or video) format visearch reads."""


class ImageTooLargeError(MediaError):
    """Guard against decompression bombs: the header promises too many pixels."""

    def __init__(self, path: Path | str, pixels: int, limit: int) -> None:
        self.pixels, self.limit = pixels, limit
        super().__init__(path, N_("image has %(pixels)s pixels, over the limit of %(limit)s"), code="image_too_large",
                         pixels=f"{pixels:,}", limit=f"{limit:,}")


class ModelUnavailableError(Unavailable):
    """A model's weights or runtime are missing; the message says how to get them."""


class UnknownModelError(InvalidInput):
    """A model name that no registry knows."""


class BadBox(InvalidInput):
    """A region of a photo that is malformed, empty or outside it."""
