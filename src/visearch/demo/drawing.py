"""Drawing a product into a scene: perspective warps, cluttered tables, JPEG bytes. Shared by the generators."""
from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def perspective_coefficients(source, target) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform mapping target quad → source quad."""
    rows = []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.asarray(rows, dtype=np.float64)
    b = np.asarray(source, dtype=np.float64).reshape(8)
    return np.linalg.solve(a, b).tolist()


def cluttered_background(rng: random.Random, size=(1024, 768)) -> Image.Image:
    """A table top with random objects: shapes, stripes and scribbled text-free marks."""
    width, height = size
    base = tuple(rng.randint(90, 170) for _ in range(3))
    image = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        color = tuple(rng.randint(0, 255) for _ in range(3))
        x, y = rng.randint(-50, width), rng.randint(-50, height)
        w, h = rng.randint(20, 220), rng.randint(20, 220)
        shape = rng.choice(("rect", "ellipse", "line"))
        if shape == "rect":
            draw.rectangle((x, y, x + w, y + h), fill=color)
        elif shape == "ellipse":
            draw.ellipse((x, y, x + w, y + h), fill=color)
        else:
            draw.line((x, y, x + w, y + h), fill=color, width=rng.randint(3, 12))
    return image.filter(ImageFilter.GaussianBlur(1.2))


def place_product(
    background: Image.Image, product: Image.Image, quad: list[tuple[float, float]]
) -> tuple[float, float, float, float]:
    """Warp the product shot onto `quad` of the background; returns the quad's bounding box."""
    width, height = background.size
    # Crop to the package so the white studio margin does not show on the table.
    package = product.crop((100, 50, 540, 592))
    source = [(0, 0), (package.width, 0), (package.width, package.height), (0, package.height)]
    coefficients = perspective_coefficients(source, quad)
    warped = package.transform((width, height), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)
    mask = Image.new("L", package.size, 255).transform(
        (width, height), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
    )
    background.paste(warped, mask=mask)
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
