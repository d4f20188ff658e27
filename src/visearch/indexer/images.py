"""Image decoding with Pillow (and libjpeg-turbo's scaled JPEG decode): every odd mode and orientation comes
out as plain RGB."""
from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from visearch.errors import N_
from visearch.indexer.errors import BadBox, ImageTooLargeError, MediaError

DEFAULT_MAX_PIXELS = 120_000_000
_BACKGROUND = (255, 255, 255)


def open_image(
    path: Path,
    data: bytes | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_size: int | None = None,
    fit_side: int | None = None,
) -> Image.Image:
    """Decode an image file to RGB.

    `data` lets a caller that already read the file (to hash it) skip a second read.
    `draft_size` lets JPEG decode at a reduced DCT scale when only a small image is
    needed (e.g. 224 px for CLIP); the result is still at least that size. `fit_side` does the
    same for the long side (a query photo that will be shrunk to it anyway).
    """
    source = io.BytesIO(data) if data is not None else path
    try:
        with warnings.catch_warnings():
            # We enforce our own, lower limit below; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLargeError(path, width * height, max_pixels)
            if (draft_size or fit_side) and image.format == "JPEG":
                scale = min(width, height) / draft_size if draft_size else max(width, height) / fit_side
                if scale >= 2 or (fit_side and scale * FIT_SLACK > 1):
                    scaled = _scaled_jpeg(path, data, (width, height), draft_size, fit_side)
                    if scaled is not None:
                        return _upright(scaled, image.getexif().get(ORIENTATION, 1), (width, height))
                    image.draft("RGB", (int(width / scale) + 1, int(height / scale) + 1))
            image.seek(0)  # animated formats: the first frame
            image.load()
    except ImageTooLargeError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own, higher limit fired first
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise ImageTooLargeError(path, int(found.group(1)) if found else 0, max_pixels) from None
    except UnidentifiedImageError:
        raise MediaError(path, N_("not a readable image (unknown or corrupt format)"), code="image_unreadable") from None
    except FileNotFoundError:
        raise MediaError(path, N_("the file does not exist"), code="file_missing") from None
    except IsADirectoryError:
        raise MediaError(path, N_("is a folder, not an image file"), code="file_is_folder") from None
    except PermissionError:
        raise MediaError(path, N_("permission denied"), code="file_not_readable") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaError(path, N_("corrupt or truncated image (%(detail)s)"), code="image_corrupt", detail=exc) from None
    if image.width == 0 or image.height == 0:
        raise MediaError(path, N_("image has no pixels"), code="image_empty")
    decoded_size = image.size
    rgb = to_rgb(ImageOps.exif_transpose(image))
    # The file's own size after rotation, even when draft mode decoded it smaller.
    rgb.info["original_size"] = (height, width) if rgb.size != decoded_size else (width, height)
    return rgb


ORIENTATION = 0x0112  # the EXIF tag
FIT_SLACK = 0.95  # a photo decoded for `fit_side` may come out this much smaller: a cheaper DCT scale, no resize
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def _scaled_jpeg(path: Path, data: bytes | None, size: tuple[int, int], draft_size: int | None,
                 fit_side: int | None) -> Image.Image | None:
    """A JPEG decoded by libjpeg-turbo at the smallest M/8 scale that still covers the size asked for
    (simplejpeg). Pillow's draft mode only has 1/2, 1/4 and 1/8: a 1024×768 photo for CLIP comes out
    384×288 here against 512×384 there, in ~15 % less CPU at the same embedding (bench/jpeg_decode.py).
    None where simplejpeg is missing or declines (CMYK, damage): Pillow decodes it then."""
    try:
        import simplejpeg
    except ImportError:
        return None
    if draft_size:
        wanted = {"min_width": draft_size, "min_height": draft_size}
    else:  # a 12-megapixel phone photo (4032 px) comes out at half scale, 2016 px: no resize to 2048 after it
        side = int(fit_side * FIT_SLACK)
        wanted = {"min_width": side} if size[0] >= size[1] else {"min_height": side}
    try:
        pixels = simplejpeg.decode_jpeg(data if data is not None else Path(path).read_bytes(), colorspace="RGB",
                                        **wanted)
    except (ValueError, OSError):
        return None
    return Image.fromarray(pixels)


def _upright(image: Image.Image, orientation: int, size: tuple[int, int]) -> Image.Image:
    """The decoded pixels turned as the EXIF orientation says, with the file's own upright size noted."""
    width, height = size
    turned = orientation in (5, 6, 7, 8)
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])
    image.info["original_size"] = (height, width) if turned else (width, height)
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB; transparency is flattened onto white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return Image.fromarray(_to_uint8(np.asarray(image)), "L").convert("RGB")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _BACKGROUND)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Scale 16-bit, 32-bit and float grey images to 8 bits by their real range."""
    if pixels.dtype == np.uint16 or (pixels.dtype.kind in "iu" and pixels.max(initial=0) > 255):
        top = 65535 if pixels.max(initial=0) <= 65535 else pixels.max()
        return (pixels.astype(np.float64) * (255.0 / top)).round().clip(0, 255).astype(np.uint8)
    if pixels.dtype.kind == "f":
        low, high = float(np.nanmin(pixels)), float(np.nanmax(pixels))
        if high <= 1.0 and low >= 0.0:
            return (pixels * 255).round().clip(0, 255).astype(np.uint8)
        span = (high - low) or 1.0
        return ((pixels - low) * (255.0 / span)).round().clip(0, 255).astype(np.uint8)
    return pixels.clip(0, 255).astype(np.uint8)


def make_thumbnail(image: Image.Image, size: int = 256, quality: int = 82) -> bytes:
    """A small JPEG for result grids; keeps the aspect ratio."""
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


Box = tuple[float, float, float, float]
MIN_BOX_SIDE = 8  # px: a search region smaller than this holds nothing to search


def parse_box(text: str) -> Box:
    """'x0,y0,x1,y1' (pixels) → four finite numbers with x1 > x0 and y1 > y0, or BadBox saying what is
    wrong. The one parser of a region, for the CLI's --box and the web's `box` alike."""
    try:
        values = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        raise BadBox(N_("box must be four numbers x0,y0,x1,y1 in pixels, got %(text)s"), code="box_not_four_numbers",
                     text=f'{text!r}') from None
    if len(values) != 4 or not all(np.isfinite(values)):
        raise BadBox(N_("box must be four numbers x0,y0,x1,y1 in pixels, got %(text)s"), code="box_not_four_numbers",
                     text=f'{text!r}')
    x0, y0, x1, y1 = values
    if x1 <= x0 or y1 <= y0:
        raise BadBox(N_("box must have x1 > x0 and y1 > y0, got %(text)s"), code="box_inverted", text=f'{text!r}')
    return values  # type: ignore[return-value]


def fit_box(box: Box, width: int, height: int, min_side: float = MIN_BOX_SIDE) -> Box:
    """`box` clamped to a width×height picture, or BadBox when less than min_side×min_side of it is inside."""
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = min(max(x0, 0.0), float(width)), min(max(x1, 0.0), float(width))
    y0, y1 = min(max(y0, 0.0), float(height)), min(max(y1, 0.0), float(height))
    if x1 - x0 < min_side or y1 - y0 < min_side:
        shown = ",".join(f"{v:g}" for v in box)
        raise BadBox(N_("box %(shown)s leaves less than %(min_side)s×%(min_side2)s pixels inside the %(width)s×%(height)s picture"),
                     code="box_too_small", shown=shown, min_side=f'{min_side:g}', min_side2=f'{min_side:g}',
                     width=width, height=height)
    return x0, y0, x1, y1


def scale_box(box: Box, factor: float) -> Box:
    return tuple(v * factor for v in box)  # type: ignore[return-value]


def crop_box(image: Image.Image, box: Box) -> Image.Image:
    """Crop to (x0, y0, x1, y1) in pixels, clamped to the image; BadBox on a box with no pixels inside."""
    x0, y0, x1, y1 = fit_box(box, image.width, image.height, min_side=2)
    return image.crop((round(x0), round(y0), round(x1), round(y1)))
