"""Typed errors: library code raises these, the CLI and web layers decide exit codes."""
from __future__ import annotations

from pathlib import Path


class VisearchError(Exception):
    """Base for every error visearch reports to a user."""


class MediaError(VisearchError):
    """One input file could not be used; the run goes on without it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnsupportedMediaError(MediaError):
    """The file's content is not an image (or video) format visearch reads."""


class ImageTooLargeError(MediaError):
    """Guard against decompression bombs: the header promises too many pixels."""

    def __init__(self, path: Path | str, pixels: int, limit: int) -> None:
        self.pixels = pixels
        self.limit = limit
        super().__init__(path, f"image has {pixels:,} pixels, over the limit of {limit:,}")


class ModelUnavailableError(VisearchError):
    """A model's weights or runtime are missing; the message says how to get them."""


class UnknownModelError(VisearchError, ValueError):
    """A model name that no registry knows."""


class InvalidInput(VisearchError, ValueError):
    """A value the user gave is wrong (the message names it): the web answers 400, the CLI exits 2."""


class BadBox(InvalidInput):
    """A region of a photo that is malformed, empty or outside it."""
