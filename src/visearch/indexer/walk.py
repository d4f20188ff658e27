"""Find media under the paths a user gave: files and folders, walked recursively."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from visearch.indexer.sniff import MediaKind, sniff_file

# Names that suggest media: a file so named whose content is not media is reported, not ignored.
MEDIA_SUFFIXES = {
    ".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".avif",
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi",
}


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path
    kind: MediaKind | None  # None: not media, or unreadable
    format: str = ""
    problem: str = ""  # why it cannot be used, when the user will want to know


def canonical_path(path: Path | str) -> Path:
    """Absolute and normalised, without resolving symlinks: how every stored path is spelled."""
    return Path(os.path.abspath(os.path.expanduser(path)))


def parse_shard(text: str) -> tuple[int, int]:
    """`"2/4"` → (2, 4): the second of four workers (numbered from 1, like a shell loop)."""
    try:
        number, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard wants I/N, e.g. 1/4, not {text!r}") from None
    if not 1 <= number <= count:
        raise ValueError(f"--shard {text}: I must be between 1 and N")
    return number, count


def in_shard(path: Path | str, shard: tuple[int, int] | None) -> bool:
    """Whether `path` is this worker's: a hash of the stored path, so every machine agrees without talking."""
    if shard is None:
        return True
    number, count = shard
    digest = hashlib.blake2b(str(path).encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count == number - 1


def walk_media(paths: Iterable[Path | str], shard: tuple[int, int] | None = None) -> Iterator[FoundFile]:
    """Yield every file under `paths` (sorted, so runs and shards are deterministic).

    A file named explicitly, or named like media, that turns out not to be media
    comes back with a `problem`; other non-media files in folders come back with
    neither kind nor problem, so callers can count them without reporting them.
    With `shard`, files of other shards are skipped before anything reads them.
    """
    for given in paths:
        root = canonical_path(given)
        if root.is_dir():
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and in_shard(Path(folder, name), shard):
                        yield _classify(Path(folder, name), explicit=False)
        elif not in_shard(root, shard):
            continue
        elif root.exists():
            yield _classify(root, explicit=True)
        else:
            yield FoundFile(root, None, problem="no such file or folder")


def _classify(path: Path, *, explicit: bool) -> FoundFile:
    looks_like_media = explicit or path.suffix.lower() in MEDIA_SUFFIXES
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return FoundFile(path, None, problem="not a regular file" if looks_like_media else "")
        if info.st_size == 0:
            return FoundFile(path, None, problem="empty file (0 bytes)" if looks_like_media else "")
        sniffed = sniff_file(path)
    except OSError as exc:
        return FoundFile(path, None, problem=f"cannot read: {exc.strerror or exc}")
    if sniffed is None:
        problem = "not an image or video (unrecognised content)" if looks_like_media else ""
        return FoundFile(path, None, problem=problem)
    kind, fmt = sniffed
    return FoundFile(path, kind, fmt)
