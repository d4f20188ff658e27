"""Deterministic mini catalogue: product shots, customer photos, a CSV, odd formats and bad files.

Run `python -m visearch.demo.generate OUT` (or `visearch demo`). Everything is drawn
here from a fixed seed; nothing is downloaded or copied from elsewhere.
"""
from __future__ import annotations

import csv
import json
import random
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from visearch.demo.drawing import cluttered_background, jpeg, place_product

SEED = 20261124
SIZE = 640


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    brand: str
    model: str
    title: str
    category: str
    price: float
    color: tuple[int, int, int]
    ink: tuple[int, int, int]
    pattern: str


PRODUCTS = [
    ProductSpec("AUR-2040", "AURA", "AX-2040 PRO", "Air purifier", "home", 189.0, (236, 240, 245), (20, 40, 110), "rings"),
    ProductSpec("KET-315", "KETTLO", "KT-315", "Electric kettle", "kitchen", 39.9, (200, 40, 40), (255, 255, 255), "stripes"),
    ProductSpec("LUM-88", "LUMEN", "LX-88", "Desk lamp", "home", 54.5, (250, 200, 40), (30, 30, 30), "dots"),
    ProductSpec("SON-500", "SONORA", "SB-500", "Bluetooth speaker", "audio", 79.0, (30, 30, 40), (120, 220, 255), "waves"),
    ProductSpec("VER-12", "VERDE", "GV-12", "Green tea 20 bags", "grocery", 4.2, (40, 140, 70), (255, 250, 220), "leaves"),
    ProductSpec("POL-7", "POLARIS", "PX-750", "Water bottle 750 ml", "outdoor", 19.0, (90, 160, 220), (10, 30, 60), "stripes"),
    ProductSpec("NOM-42", "NOMAD", "NB-42", "Travel backpack", "outdoor", 99.0, (120, 90, 60), (250, 240, 210), "grid"),
    ProductSpec("CRI-900", "CRISPO", "CC-900", "Sea salt crackers", "grocery", 2.5, (245, 160, 60), (90, 20, 10), "dots"),
]


@dataclass
class FixtureSet:
    root: Path
    catalog_dir: Path
    catalog_csv: Path
    formats_dir: Path
    bad_dir: Path
    photos: list[Path] = field(default_factory=list)
    #: photo file name → {"sku", "box": [x0, y0, x1, y1] of the product in the photo, "kind"}
    truth: dict[str, dict] = field(default_factory=dict)
    #: bad file name → a word its failure reason must contain
    bad: dict[str, str] = field(default_factory=dict)

    def catalog_image(self, sku: str, view: str = "front") -> Path:
        return self.catalog_dir / f"{sku.lower()}-{view}.jpg"


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def product_image(spec: ProductSpec, view: str = "front") -> Image.Image:
    """A studio shot: the package on white, brand and model number printed on its label."""
    rng = random.Random(f"{SEED}-{spec.sku}-{view}")
    image = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = 110, 60, 530, 580
    if view == "side":
        left, right = 170, 470
    draw.rounded_rectangle((left + 8, top + 10, right + 8, bottom + 10), 28, fill=(215, 215, 215))  # shadow
    draw.rounded_rectangle((left, top, right, bottom), 28, fill=spec.color, outline=spec.ink, width=4)
    _pattern(draw, spec, (left + 12, top + 300, right - 12, bottom - 12), rng)
    label = (left + 24, top + 40, right - 24, top + 270)
    draw.rounded_rectangle(label, 14, fill=(255, 255, 255), outline=spec.ink, width=3)
    cx = (label[0] + label[2]) // 2
    brand_size = 64 if view == "front" else 46
    draw.text((cx, label[1] + 60), spec.brand, font=font(brand_size), fill=_label_ink(spec), anchor="mm")
    draw.text((cx, label[1] + 135), spec.model, font=font(brand_size // 2 + 6), fill=(20, 20, 20), anchor="mm")
    draw.text((cx, label[1] + 195), spec.title, font=font(22 if view == "front" else 18), fill=(60, 60, 60),
              anchor="mm")
    return image


def _label_ink(spec: ProductSpec) -> tuple[int, int, int]:
    """The brand colour, unless it would vanish on the white label: then the package colour."""
    luminance = lambda rgb: 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]  # noqa: E731
    return spec.ink if luminance(spec.ink) < 170 else spec.color


def _pattern(draw: ImageDraw.ImageDraw, spec: ProductSpec, box, rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    ink = spec.ink
    if spec.pattern == "stripes":
        for x in range(x0, x1, 36):
            draw.rectangle((x, y0, x + 14, y1), fill=ink)
    elif spec.pattern == "dots":
        for y in range(y0 + 20, y1, 44):
            for x in range(x0 + 20, x1, 44):
                draw.ellipse((x - 11, y - 11, x + 11, y + 11), fill=ink)
    elif spec.pattern == "rings":
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        for r in range(110, 10, -24):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=8)
    elif spec.pattern == "waves":
        for y in range(y0 + 15, y1, 34):
            points = [(x, y + 12 * np.sin(x / 22.0)) for x in range(x0, x1, 6)]
            draw.line(points, fill=ink, width=6)
    elif spec.pattern == "leaves":
        for _ in range(14):
            x, y = rng.randint(x0 + 20, x1 - 60), rng.randint(y0 + 10, y1 - 40)
            draw.ellipse((x, y, x + 56, y + 26), fill=ink)
    elif spec.pattern == "grid":
        for x in range(x0, x1, 40):
            draw.line((x, y0, x, y1), fill=ink, width=4)
        for y in range(y0, y1, 40):
            draw.line((x0, y, x1, y), fill=ink, width=4)


# -- customer photos -------------------------------------------------------------------------


def customer_photos(out: Path, images: dict[str, Image.Image]) -> dict[str, dict]:
    """Phone-like photos of catalogue products: resized and recompressed, on clutter, cropped."""
    truth: dict[str, dict] = {}
    rng = random.Random(SEED)
    for number, spec in enumerate(PRODUCTS[:4]):
        shot = images[spec.sku]
        # 1. the same shot, resized and heavily recompressed (a screenshot or re-upload)
        name = f"{spec.sku.lower()}-recompressed.jpg"
        small = shot.resize((412, 412), Image.Resampling.BILINEAR)
        (out / name).write_bytes(jpeg(small, 35))
        truth[name] = {"sku": spec.sku, "kind": "recompressed", "box": [0, 0, 412, 412]}

        # 2. at an angle on a cluttered table, a little blurred, label readable
        background = cluttered_background(rng)
        x0, y0 = 300 + rng.randint(-60, 60), 110 + rng.randint(-30, 30)
        w, h = 360, 440
        skew = rng.randint(25, 45)
        quad = [(x0 + skew, y0), (x0 + w, y0 + skew // 2), (x0 + w - skew // 2, y0 + h), (x0, y0 + h - skew // 3)]
        box = place_product(background, shot, quad)
        other = images[PRODUCTS[(number + 5) % len(PRODUCTS)].sku].resize((200, 200))
        background.paste(other.crop((20, 20, 180, 180)), (40, 520))
        photo = background.filter(ImageFilter.GaussianBlur(0.8))
        name = f"{spec.sku.lower()}-cluttered.jpg"
        (out / name).write_bytes(jpeg(photo, 80))
        truth[name] = {"sku": spec.sku, "kind": "cluttered", "box": [round(v, 1) for v in box]}
    # 3. partly covered: a hand-sized block hides a third of the package
    for spec in (PRODUCTS[1], PRODUCTS[3]):
        background = cluttered_background(rng)
        quad = [(330, 140), (650, 120), (670, 560), (320, 585)]
        box = place_product(background, images[spec.sku], quad)
        ImageDraw.Draw(background).rounded_rectangle((300, 380, 700, 600), 40, fill=(205, 160, 130))
        name = f"{spec.sku.lower()}-covered.jpg"
        (out / name).write_bytes(jpeg(background, 80))
        truth[name] = {"sku": spec.sku, "kind": "covered", "box": [round(v, 1) for v in box]}

    # 4. a shelf: four products in a row, small and slightly turned
    background = cluttered_background(rng, (1280, 720))
    shelf = []
    for slot, spec in enumerate((PRODUCTS[0], PRODUCTS[2], PRODUCTS[4], PRODUCTS[7])):
        x0, y0 = 40 + slot * 310, 150 + (slot % 2) * 30
        lean = 12 if slot % 2 else -12
        quad = [(x0 + lean, y0), (x0 + 250 + lean, y0 + 6), (x0 + 250, y0 + 330), (x0, y0 + 324)]
        shelf.append({"sku": spec.sku, "box": [round(v, 1) for v in place_product(background, images[spec.sku], quad)]})
    (out / "shelf.jpg").write_bytes(jpeg(background.filter(ImageFilter.GaussianBlur(0.6)), 82))
    truth["shelf.jpg"] = {"kind": "shelf", "products": shelf}

    # 5. no catalogue product at all
    (out / "no-product.jpg").write_bytes(jpeg(cluttered_background(rng), 80))
    truth["no-product.jpg"] = {"kind": "none"}
    return truth


# -- odd but valid formats, and bad inputs ----------------------------------------------------


def odd_formats(out: Path, shot: Image.Image) -> list[str]:
    """Valid images in every mode the decoder must turn into RGB."""
    small = shot.resize((320, 320))
    names = []

    def save(name: str, image: Image.Image, fmt: str, **options) -> None:
        image.save(out / name, fmt, **options)
        names.append(name)

    save("png-named.jpg", small, "PNG")  # content decides, not the name
    save("cmyk.jpg", small.convert("CMYK"), "JPEG", quality=90)
    grey16 = (np.asarray(small.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    save("grey16.png", Image.fromarray(grey16), "PNG")
    save("grey.jpg", small.convert("L"), "JPEG")
    save("palette.png", small.convert("P", palette=Image.Palette.ADAPTIVE, colors=64), "PNG")
    la = small.convert("LA")
    save("alpha.png", la, "PNG")
    frames = [small.convert("P"), small.rotate(90).convert("P")]
    frames[0].save(out / "animated.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    names.append("animated.gif")
    save("image.webp", small, "WEBP", quality=80)
    save("image.tiff", small, "TIFF")
    save("image.bmp", small, "BMP")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    save("rotated-exif.jpg", small.rotate(90, expand=True), "JPEG", exif=exif.tobytes())
    return names


def bad_inputs(out: Path, shot: Image.Image) -> dict[str, str]:
    """Files that must fail cleanly, each with a word its failure reason contains."""
    good = jpeg(shot, 85)
    (out / "empty.jpg").write_bytes(b"")
    (out / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (out / "random-bytes.png").write_bytes(random.Random(SEED).randbytes(4096))
    (out / "notes.jpg").write_text("this is a text file with an image's name\n")
    garbled = bytearray(good)
    garbled[200:1200] = random.Random(SEED + 1).randbytes(1000)
    (out / "garbled-header.jpg").write_bytes(bytes(garbled[:2]) + b"\x00" * 64 + bytes(garbled[66:600]))
    (out / "bomb.png").write_bytes(_png_bomb(40_000, 40_000))
    return {
        "empty.jpg": "empty",
        "truncated.jpg": "truncated",
        "random-bytes.png": "not an image",
        "notes.jpg": "not an image",
        "garbled-header.jpg": "not an image",
        "bomb.png": "pixels",
    }


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header promises `width × height` 1-bit pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()  # truncated stream is fine
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


# -- the whole set ----------------------------------------------------------------------------


def generate(root: Path | str, *, korean: bool = False) -> FixtureSet:
    """Write the fixture set under `root` (idempotent: same bytes every time). `korean` adds the demo's Korean
    products (prices in won, aliases) and a customer photo of the milk carton, where Korean fonts exist."""
    root = Path(root)
    fixtures = FixtureSet(
        root=root, catalog_dir=root / "catalog", catalog_csv=root / "catalog.csv",
        formats_dir=root / "formats", bad_dir=root / "bad",
    )
    for folder in (fixtures.catalog_dir, fixtures.formats_dir, fixtures.bad_dir, root / "photos"):
        folder.mkdir(parents=True, exist_ok=True)
    images: dict[str, Image.Image] = {}
    rows = []
    for spec in PRODUCTS:
        images[spec.sku] = product_image(spec)
        views = ["front", "side"] if spec.sku in ("AUR-2040", "SON-500") else ["front"]
        for view in views:
            path = fixtures.catalog_image(spec.sku, view)
            path.write_bytes(jpeg(product_image(spec, view), 90))
            rows.append({
                "sku": spec.sku, "title": spec.title, "brand": spec.brand, "price": f"{spec.price:.2f}",
                "currency": "EUR", "url": f"https://shop.example/p/{spec.sku.lower()}", "category": spec.category,
                "image": f"catalog/{path.name}",
            })
    korean_photos = []
    if korean:
        from visearch.demo.korean import korean_catalogue, korean_fonts

        if korean_fonts():
            extra, korean_photos = korean_catalogue(fixtures.catalog_dir, root / "photos")
            rows = [{**row, "aliases": ""} for row in rows] + extra
    with open(fixtures.catalog_csv, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fixtures.truth = customer_photos(root / "photos", images)
    fixtures.photos = [root / "photos" / name for name, entry in fixtures.truth.items() if "sku" in entry] + korean_photos
    (root / "photos" / "truth.json").write_text(json.dumps(fixtures.truth, indent=2))
    odd_formats(fixtures.formats_dir, images["VER-12"])  # a product no customer photo shows
    fixtures.bad = bad_inputs(fixtures.bad_dir, images["CRI-900"])
    return fixtures


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/out")
    result = generate(target)
    print(f"wrote {len(list(target.rglob('*')))} files under {target}")


def random_photos(folder: Path, count: int, size: tuple[int, int] = (160, 120), seed: int = 0) -> Path:
    """`count` distinct JPEGs of coloured rectangles: cheap, deterministic inputs for runs that
    must take a while (kill and resume, two writers)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    width, height = size
    for number in range(count):
        image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(max(6, width * height // 6400)):
            x, y = rng.randrange(width - 20), rng.randrange(height - 20)
            draw.rectangle((x, y, x + rng.randrange(8, width // 4), y + rng.randrange(8, height // 3)),
                           fill=tuple(rng.randrange(256) for _ in range(3)))
        image.save(folder / f"img-{seed}-{number:05d}.jpg", quality=80)
    return folder
