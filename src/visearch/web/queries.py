"""Uploaded query photos, kept for a while under an id, so a photo search has a URL.

With `?photo=ID&box=…` in the address bar, Back, refresh and a shared link show the same
search again, and moving the box re-searches without uploading the photo again. Photos are
kept in the system temp folder for a day (at most `KEEP_FILES` of them), never in the library.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import time
from pathlib import Path

from PIL import Image

KEEP_SECONDS = 24 * 3600
KEEP_FILES = 500
_ID = re.compile(r"[0-9a-f]{32}")


class QueryPhotos:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, image: Image.Image) -> str:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=92)
        data = buffer.getvalue()
        upload = hashlib.sha256(data).hexdigest()[:32]
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{upload}.jpg"
        if not target.exists():
            handle, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, target)
            self._prune()
        return upload

    def path(self, upload: str) -> Path | None:
        if not _ID.fullmatch(upload or ""):
            return None
        path = self.folder / f"{upload}.jpg"
        return path if path.is_file() else None

    def get(self, upload: str) -> Image.Image | None:
        path = self.path(upload)
        if path is None:
            return None
        with Image.open(path) as image:
            return image.convert("RGB")

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.jpg"), key=lambda p: p.stat().st_mtime, reverse=True)
        cutoff = time.time() - KEEP_SECONDS
        for index, path in enumerate(files):
            if index >= KEEP_FILES or path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


def store(library_path: Path) -> QueryPhotos:
    """One folder per library, in the temp folder (the library may be read-only to the server)."""
    key = hashlib.sha256(str(library_path).encode()).hexdigest()[:12]
    return QueryPhotos(Path(tempfile.gettempdir()) / f"visearch-queries-{key}")
