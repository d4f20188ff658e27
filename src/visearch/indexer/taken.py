"""When a photo or video was taken, as its camera wrote it: what people mean by "seen on" a date.

The file's own date is when it was copied, synced or edited; a phone's library copied to a new laptop has
every file dated the day of the copy. So a photo's EXIF `DateTimeOriginal` (else `DateTimeDigitized`, else
`DateTime`) and a video's `creation_time` come first, and "" means unknown: the reader then falls back to
the file's date and says so. Values are ISO 8601 without a zone ("2024-05-01T14:03:22"): EXIF holds the
camera's local time and rarely its offset, and a day is what the pages show.
"""
from __future__ import annotations

import io
import re

_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL, _DATE_TIME_DIGITIZED, _DATE_TIME = 0x9003, 0x9004, 0x0132
_EXIF = re.compile(r"\s*(\d{4})[:\-](\d{2})[:\-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")
_VIDEO_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")
_YEARS = range(1826, 2200)  # the first photograph, and a clock not set at all reads 0000 or 1904


def exif_time(text: object) -> str:
    """An EXIF date ("2024:05:01 14:03:22", or the ISO forms some apps write) as ISO 8601, or "" when it
    is blank, zeroed or impossible. Pure."""
    if not isinstance(text, str):
        return ""
    found = _EXIF.match(text.replace("\x00", ""))
    if not found:
        return ""
    year, month, day, hour, minute, second = (int(part or 0) for part in found.groups())
    if year not in _YEARS or not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{min(second, 59):02d}"


def video_time(metadata: dict) -> str:
    """A container's creation time ("2024-05-01T14:03:22.000000Z", QuickTime's creationdate first: it keeps
    the phone's local time) as ISO 8601, or "". Pure."""
    for key in _VIDEO_KEYS:
        value = exif_time(metadata.get(key))
        if value and not value.startswith("1970-01-01"):  # muxers that write 0 mean "unknown"
            return value
    return ""


def photo_taken(data: bytes) -> str:
    """When the photo in `data` was taken, from its EXIF (headers only: nothing is decoded), or ""."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            inner = exif.get_ifd(_EXIF_IFD)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, TypeError, KeyError):
        return ""  # no readable EXIF is an unknown date, never a failed file
    for value in (inner.get(_DATE_TIME_ORIGINAL), inner.get(_DATE_TIME_DIGITIZED), exif.get(_DATE_TIME)):
        if found := exif_time(value):
            return found
    return ""
