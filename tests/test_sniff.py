import pytest

from visearch.indexer.sniff import MediaKind, sniff_bytes


@pytest.mark.parametrize(
    "head, expected",
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 60, (MediaKind.IMAGE, "jpeg")),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 56, (MediaKind.IMAGE, "png")),
        (b"GIF89a" + b"\0" * 58, (MediaKind.IMAGE, "gif")),
        (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 48, (MediaKind.IMAGE, "webp")),
        (b"II*\x00" + b"\0" * 60, (MediaKind.IMAGE, "tiff")),
        (b"BM" + b"\0" * 62, (MediaKind.IMAGE, "bmp")),
        (b"\0\0\0\x18ftypheic" + b"\0" * 52, (MediaKind.IMAGE, "heif")),
        (b"\0\0\0\x18ftypisom" + b"\0" * 52, (MediaKind.VIDEO, "mp4")),
        (b"\0\0\0\x14ftypqt  " + b"\0" * 52, (MediaKind.VIDEO, "mov")),
        (b"\x1a\x45\xdf\xa3" + b"\0" * 20 + b"webm" + b"\0" * 36, (MediaKind.VIDEO, "webm")),
        (b"RIFF\0\0\0\0AVI LIST" + b"\0" * 48, (MediaKind.VIDEO, "avi")),
    ],
)
def test_recognises_formats_by_magic_bytes(head, expected):
    assert sniff_bytes(head) == expected


@pytest.mark.parametrize("head", [b"", b"hello world, not an image", b"\x00" * 64, b"%PDF-1.7"])
def test_unknown_content_is_none(head):
    assert sniff_bytes(head) is None
