"""Shared helpers for the benchmarks: deterministic inputs and timing."""
from __future__ import annotations

import random
from pathlib import Path


OUT = Path(__file__).resolve().parent / "out"


def phone_photos(count: int, folder: Path | None = None, size=(1024, 768)) -> list[Path]:
    """`count` 1024×768 JPEGs: a catalogue product on a cluttered table, made once and reused."""
    from fixtures.generate import PRODUCTS, cluttered_background, jpeg, place_product, product_image

    folder = folder or OUT / f"photos-{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    shots = [product_image(spec) for spec in PRODUCTS]
    paths = []
    for number in range(count):
        path = folder / f"photo-{number:05d}.jpg"
        if not path.exists():
            rng = random.Random(number)
            background = cluttered_background(rng, size)
            x0, y0 = rng.randint(50, size[0] - 450), rng.randint(30, size[1] - 480)
            quad = [(x0 + 30, y0), (x0 + 380, y0 + 15), (x0 + 370, y0 + 440), (x0, y0 + 430)]
            place_product(background, shots[number % len(shots)], quad)
            path.write_bytes(jpeg(background, 88))
        paths.append(path)
    return paths
