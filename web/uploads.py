"""Uploaded query photos: judged by content, capped in bytes and pixels, decoded safely."""
from __future__ import annotations

from PIL import Image

from indexer.errors import ImageTooLargeError, MediaError
from indexer.images import open_image
from indexer.sniff import MediaKind, sniff_bytes

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 60_000_000
QUERY_SIDE = 2048  # a query photo needs no more: larger ones are decoded at reduced scale and shrunk


class BadUpload(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_upload(storage, max_pixels: int = MAX_UPLOAD_PIXELS):
    """A werkzeug FileStorage → RGB PIL image at most QUERY_SIDE px long, or BadUpload(400/413).

    A 36-megapixel phone photo decodes at 1/2 or 1/4 DCT scale (JPEG draft mode), so the
    lens does not spend seconds on pixels it would throw away. Boxes and evidence are then in
    the shrunk photo's pixels, which is what the browser (which shrinks it too) shows.
    """
    name = storage.filename or "upload"
    data = storage.read()
    if not data:
        raise BadUpload(400, f"{name}: the upload is empty")
    sniffed = sniff_bytes(data[:64])
    if sniffed is None or sniffed[0] is not MediaKind.IMAGE:
        raise BadUpload(400, f"{name}: not an image (JPEG, PNG, WebP, GIF, TIFF or BMP expected)")
    try:
        return shrink(open_image(name, data, max_pixels=max_pixels, fit_side=QUERY_SIDE), QUERY_SIDE)
    except ImageTooLargeError as exc:
        raise BadUpload(413, f"{name}: {exc.reason}") from None
    except MediaError as exc:
        raise BadUpload(400, f"{name}: {exc.reason}") from None


def shrink(image, side: int):
    if max(image.size) <= side:
        return image
    image = image.copy()
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def parse_box(text: str | None, width: int, height: int) -> tuple[float, float, float, float] | None:
    """'x0,y0,x1,y1' in image pixels; inside the image and at least 8 px each way."""
    if text in (None, ""):
        return None
    try:
        values = [float(v) for v in str(text).split(",")]
    except ValueError:
        raise BadUpload(400, f"box must be four numbers x0,y0,x1,y1, got {text!r}") from None
    if len(values) != 4:
        raise BadUpload(400, f"box must be four numbers x0,y0,x1,y1, got {text!r}")
    x0, y0, x1, y1 = values
    x0, x1 = max(0.0, x0), min(float(width), x1)
    y0, y1 = max(0.0, y0), min(float(height), y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        raise BadUpload(400, f"box {text!r} leaves less than 8×8 pixels inside the {width}×{height} photo")
    return x0, y0, x1, y1
