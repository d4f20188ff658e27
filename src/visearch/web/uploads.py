"""Uploaded query photos: the form's file (or a kept upload's id) into the use case's QueryPhoto."""
from __future__ import annotations

from visearch.errors import N_, VisearchError
from visearch.app.searching import BadPhoto, QueryPhoto, read_photo

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class BadUpload(VisearchError):
    """An upload id that is not (or no longer) kept."""

    kind = "missing"


def read_upload(storage) -> QueryPhoto:
    """A werkzeug FileStorage → QueryPhoto (BadPhoto, a 400 or 413, names the file and says why)."""
    return read_photo(storage.filename or "upload", storage.read())


def uploaded_photo(storage, upload: str | None, kept) -> tuple[QueryPhoto, str]:
    """The request's photo, a new upload (kept under a new id) or one kept before; and its id.
    A kept photo's own pixels are the kept copy's (what a page showing it displays)."""
    if storage is not None:
        photo = read_upload(storage)
        return photo, kept.put(photo.image)
    image = kept.get(upload)
    if image is None:
        raise BadUpload(N_("upload: that photo is no longer kept; upload it again"), code="upload_gone")
    return QueryPhoto(image, image.size, f"photo {upload[:8]}"), upload


__all__ = ["BadPhoto", "BadUpload", "MAX_UPLOAD_BYTES", "read_upload", "uploaded_photo"]
