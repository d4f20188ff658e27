"""Which file on disk may be served for an indexed item: the one that was indexed, and no other.

Between indexing and a request the file may have been replaced, for example by a symlink to
/etc/passwd. A file is served only if, resolved at request time, it is a regular file inside
a folder that was indexed, and its size and mtime are still the indexed ones. Otherwise the
item is marked for re-indexing and the caller answers 404 (gone) or 410 (changed).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Sequence

from visearch.errors import N_, VisearchError


class MediaUnavailable(VisearchError):
    """A file the library indexed cannot be served: gone (404) or changed since (410, `gone` False)."""

    kind = "missing"

    def __init__(self, status: int, template: str, /, code: str = "file_missing", **values) -> None:
        self.status = status
        super().__init__(template, code=code, **values)


def inside(path: str, roots: Sequence[str]) -> bool:
    """Whether a resolved path lies in (or is) one of the resolved roots. Pure."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def checked_file(path: str, size: int, mtime_ns: int, roots: Sequence[str]) -> Path:
    """The resolved path of an indexed file that is still what was indexed, or MediaUnavailable."""
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        raise MediaUnavailable(404, N_("the file is no longer on disk"), code="file_missing") from None
    if not stat.S_ISREG(info.st_mode) or not inside(real, roots):
        raise MediaUnavailable(410, N_("the file was replaced since it was indexed; index the folder again"),
                               code="file_changed")
    if info.st_size != size or info.st_mtime_ns != mtime_ns:
        raise MediaUnavailable(410, N_("the file changed since it was indexed; index the folder again"),
                               code="file_changed")
    return Path(real)


def item_file(library, item_id: int) -> tuple[Path, str]:
    """The file behind an item (a frame's video) and its format as sniffed when it was indexed
    (still true: size and mtime are checked); MediaUnavailable else."""
    doc = library.docs.get([item_id]).get(item_id)
    if doc is None:
        raise MediaUnavailable(404, N_("no item %(item_id)s"), code="item_missing", item_id=item_id)
    if doc.kind == "frame":
        return video_file(library, doc.video_id)
    roots = library.indexed_roots() or [os.path.realpath(doc.source)]
    try:
        return checked_file(doc.path, doc.size, doc.mtime_ns, roots), doc.format
    except MediaUnavailable:
        _mark_stale(library, lambda docs: docs.update_file(doc.id, doc.path, doc.size, 0, doc.source))
        raise


def video_file(library, video_id: int) -> tuple[Path, str]:
    video = library.docs.get_videos([video_id]).get(video_id)
    if video is None:
        raise MediaUnavailable(404, N_("no video %(video_id)s"), code="video_missing", video_id=video_id)
    roots = library.indexed_roots() or [os.path.realpath(video.source)]
    try:
        return checked_file(video.path, video.size, video.mtime_ns, roots), video.format
    except MediaUnavailable:
        _mark_stale(library, lambda docs: docs.update_video_file(video.id, video.path, video.size, 0, video.source))
        raise


def thumbnail_file(library, relative: str) -> Path:
    """A thumbnail the library wrote itself: inside its folder, a regular file."""
    root = os.path.realpath(library.root)
    real = os.path.realpath(os.path.join(root, relative))
    if not relative or not inside(real, [root]) or not os.path.isfile(real):
        raise MediaUnavailable(404, N_("no thumbnail"), code="thumbnail_missing")
    return Path(real)


def _mark_stale(library, update) -> None:
    """A zero mtime makes the next `visearch index` hash the file again. Best effort: skipped
    while an indexer holds the library, which re-checks every file anyway."""
    try:
        with library.writing(wait=0):
            update(library.docs)
            library.docs.commit()
    except Exception:  # noqa: BLE001 - busy or failed, a mark must not turn a 410 into a 500
        pass


FACE_MARGIN = 0.25  # of the face's width, on each side: a little hair and chin around it
FACE_SIDE = 128


def face_crop(library, face_id: int) -> bytes:
    """A face cut from its item's thumbnail, as a square JPEG: the covers of the people grid."""
    import io

    from PIL import Image

    found = library.faces.face(face_id)
    doc = library.docs.get([found.item_id]).get(found.item_id) if found else None
    if doc is None or not doc.thumbnail:
        raise MediaUnavailable(404, N_("no face %(face_id)s"), code="face_missing", face_id=face_id)
    with Image.open(thumbnail_file(library, doc.thumbnail)) as thumb:
        x0, y0, x1, y1 = crop_box(found.box, thumb.width / max(doc.width, 1), thumb.size)
        crop = thumb.crop((x0, y0, x1, y1)).resize((FACE_SIDE, FACE_SIDE))
    buffer = io.BytesIO()
    crop.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def crop_box(box, scale: float, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """A face box in original pixels → the margin-padded box in thumbnail pixels, clipped. Pure."""
    x0, y0, x1, y1 = (v * scale for v in box)
    margin = (x1 - x0) * FACE_MARGIN
    return max(0.0, x0 - margin), max(0.0, y0 - margin), min(size[0], x1 + margin), min(size[1], y1 + margin)
