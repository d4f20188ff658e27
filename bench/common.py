"""Shared helpers for the benchmarks: deterministic inputs and timing."""
from __future__ import annotations

import random
from pathlib import Path


OUT = Path(__file__).resolve().parent / "out"


def phone_photos(count: int, folder: Path | None = None, size=(1024, 768)) -> list[Path]:
    """`count` 1024×768 JPEGs: a catalogue product on a cluttered table, made once and reused."""
    from visearch.demo.drawing import cluttered_background, jpeg, place_product
    from visearch.demo.generate import PRODUCTS, product_image

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


TOLERANCE = 1.0  # seconds: a predicted segment matches a true one when both ends are this close


def segment_scores(library: Path, truth: dict[str, list[tuple[float, float]]]) -> tuple[float, float]:
    """Segment recall and precision of a library's people against `truth` (person → on-screen spans):
    each true person is matched to the library's person whose clips overlap theirs most."""
    from visearch.search.details import person_clips
    from visearch.storage.library import Library

    with Library.open(library, read_only=True) as lib:
        clips = {row.id: [(c["start"], c["end"]) for c in person_clips(lib, row.id)["clips"]]
                 for row in lib.faces.people()}
    found = correct = truth_total = predicted_total = 0
    for spans in truth.values():
        best = max(clips.values(), key=lambda predicted: sum(_overlap(t, p) for t in spans for p in predicted),
                   default=[])
        truth_total += len(spans)
        predicted_total += len(best)
        found += sum(any(_matches(t, p) for p in best) for t in spans)
        correct += sum(any(_matches(p, t) for t in spans) for p in best)
    return found / max(truth_total, 1), correct / max(predicted_total, 1)


def _matches(a, b) -> bool:
    return abs(a[0] - b[0]) <= TOLERANCE and abs(a[1] - b[1]) <= TOLERANCE


def _overlap(a, b) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


CAPTION_SEEDS = (11, 12, 13, 14)  # the generated caption videos (fixtures/onscreen.py), 60 s each


def caption_videos(seconds: float = 60.0, seeds=CAPTION_SEEDS) -> list:
    """Broadcast-style videos with text at known times (1280×720, 25 fps), made once and reused."""
    import json

    from fixtures.onscreen import OnScreenVideo, generate_onscreen

    videos = []
    for seed in seeds:
        folder, name = OUT / "captions", f"captions-{seed}-{int(seconds)}s.mp4"
        meta = folder / f"{name}.json"
        if (folder / name).exists() and meta.exists():
            data = json.loads(meta.read_text())
            videos.append(OnScreenVideo(folder / name, seconds, data["shots"], [],
                                        {k: [tuple(s) for s in v] for k, v in data["truth"].items()}, data["kinds"]))
        else:
            videos.append(generate_onscreen(folder, seed=seed, duration=seconds, name=name))
    return videos
