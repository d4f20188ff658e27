"""Recognise media by content (magic bytes), never by file name."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

HEADER_BYTES = 64


class MediaKind(str, Enum):
    IMAGE = "image"
    VIDEO = "video"


# ISO base media (MP4/MOV/HEIF/AVIF) brands: `ftyp` box at offset 4, brand at 8.
_IMAGE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"}


def sniff_bytes(head: bytes) -> tuple[MediaKind, str] | None:
    """Return (kind, format name) for a file's first bytes, or None if unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaKind.IMAGE, "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaKind.IMAGE, "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return MediaKind.IMAGE, "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaKind.IMAGE, "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return MediaKind.VIDEO, "avi"
    if head[:2] == b"BM" and len(head) >= 26:
        return MediaKind.IMAGE, "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return MediaKind.IMAGE, "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return MediaKind.IMAGE, "heif" if brand.startswith(b"he") or brand in (b"mif1", b"msf1") else "avif"
        return MediaKind.VIDEO, "mov" if brand == b"qt  " else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaKind.VIDEO, "webm" if b"webm" in head else "matroska"
    return None


def sniff_file(path: Path) -> tuple[MediaKind, str] | None:
    with open(path, "rb") as handle:
        return sniff_bytes(handle.read(HEADER_BYTES))
