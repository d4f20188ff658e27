"""JPEGs decoded in batches on the encoder's device, and CLIP's crop and the thumbnail made there.

On a GPU this is nvjpeg through `torchvision.io.decode_jpeg(device="cuda")`: the CPU decode that bounds
indexing moves to the device (a Pillow decode pool on 16 cores gave 876 img/s, nvjpeg 5,653). On a CPU
the same calls run libjpeg-turbo, so CI tests the path and its parity with Pillow's.

Only plain JPEGs take this path: another format, a CMYK or YCCK JPEG, an EXIF orientation that turns the
picture, or a file torchvision cannot decode falls back to the Pillow path, for that file alone.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass
class Decoded:
    crop: object  # uint8 CHW tensor at the model's input size, on the device
    thumbnail: bytes  # a JPEG, as make_thumbnail writes it
    size: tuple[int, int]  # the picture's (width, height)


def device_decodable(data: bytes) -> tuple[int, int] | None:
    """The picture's (width, height) when a file may take the batched path (a JPEG in RGB or grey, upright as
    stored), else None. Reads the header only."""
    if not data.startswith(JPEG_MAGIC):
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            plain = image.mode in ("RGB", "L") and image.getexif().get(0x0112, 1) == 1
            return image.size if plain else None
    except Exception:  # noqa: BLE001 - whatever Pillow cannot even parse goes the Pillow path, to be named there
        return None


def decode_batch(datas: list[bytes], device: str, size: int, thumbnail: int = 256) -> list[Decoded | None]:
    """Each JPEG decoded on `device`, resized as CLIP's shortest-side bicubic resize and centre crop do
    (parity with the Pillow path: cosine ≥ 0.999), and thumbnailed; None for a file that failed."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg

    tensors = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for data in datas]
    try:
        images = decode_jpeg(tensors, mode=ImageReadMode.RGB, device=device)
    except (RuntimeError, ValueError):  # one bad file fails the batch call: decode one by one
        images = [_one(tensor, device) for tensor in tensors]
    return [None if image is None else _finish(image, size, thumbnail) for image in images]


def _one(tensor, device: str):
    from torchvision.io import ImageReadMode, decode_jpeg

    try:
        return decode_jpeg(tensor, mode=ImageReadMode.RGB, device=device)
    except (RuntimeError, ValueError):
        return None


def _finish(image, size: int, thumbnail: int) -> Decoded:
    from torchvision.transforms.v2 import InterpolationMode
    from torchvision.transforms.v2 import functional as F

    height, width = int(image.shape[1]), int(image.shape[2])
    scale = size / min(width, height)
    target = (max(size, round(height * scale)), max(size, round(width * scale)))
    resized = image if target == (height, width) else F.resize(
        image, list(target), interpolation=InterpolationMode.BICUBIC, antialias=True)
    top, left = (target[0] - size) // 2, (target[1] - size) // 2  # as centre_crop: floor, not round
    crop = resized[:, top : top + size, left : left + size].contiguous()
    source = resized if max(target) >= thumbnail else image
    return Decoded(crop, _thumbnail(source, thumbnail), (width, height))


def _thumbnail(image, side: int) -> bytes:
    """The thumbnail's JPEG: scaled on the device, encoded by Pillow (as make_thumbnail does)."""
    from PIL import Image
    from torchvision.transforms.v2 import InterpolationMode
    from torchvision.transforms.v2 import functional as F

    height, width = int(image.shape[1]), int(image.shape[2])
    scale = min(1.0, side / max(width, height))
    if scale < 1.0:
        image = F.resize(image, [max(1, round(height * scale)), max(1, round(width * scale))],
                         interpolation=InterpolationMode.BILINEAR, antialias=True)
    pixels = np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy())
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()
