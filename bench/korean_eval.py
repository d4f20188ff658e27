"""Korean text in pictures: how much of it visearch finds, how exactly it reads it, and what that costs.

    python bench/korean_eval.py [--count 60] [--engines faster-paddle:tiny faster-paddle:tiny+hangul ...]
                                [--routing]

A generated set (demo/korean.py: product labels, signs and captions in nine Nanum and Noto CJK faces,
28-80 px, tilted, in perspective, JPEG 60-90, on busy backgrounds; the generator writes the truth) plus the
three real Korean images of ../shared/data/ocr (when present), and 28 pictures of one line mixing Hangul and
Latin (captions, signs, bilingual packs: demo/korean.py's MIXED). For each engine, in one run:
  * strings found by text search: the pictures are indexed (tiny CLIP, OCR as given) and each true string
    is searched; found when its picture is among the first 5 results;
  * character error rate of clean line crops (one line each);
  * milliseconds of OCR per picture, median and p90, after a warm-up.
`--routing` also compares which lines are read again by Tesseract (the rule behind LATIN_SURE).
Goals (issue 24): ≥ 0.9 of the generated strings found, CER ≤ 0.1 on the crops.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import OUT  # noqa: E402
from bench.ocr_eval import edit_distance, fold  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "ocr"
REAL = {"paddleocr/imgs_words/korean/1.jpg": ["바탕으로"], "paddleocr/imgs_words/korean/2.jpg": ["만행은"],
        "easyocr/korean.png": ["서울", "평양", "Seoul", "Pyeongyang", "56Km", "205Km"]}
ENGINES = ["faster-paddle:tiny", "faster-paddle:tiny+hangul", "rapidocr+hangul", "faster-paddle:small+hangul"]
GOALS = {"found": 0.9, "mixed": 0.9, "cer": 0.1}


def pictures(count: int) -> list[tuple[Path, list[str], str]]:
    from visearch.demo.korean import generate_korean, generate_mixed

    made = generate_korean(OUT / "korean" / "set", count)
    found = [(m.path, m.strings, "generated") for m in made]
    found += [(m.path, m.strings, "mixed") for m in generate_mixed(OUT / "korean" / "mixed")]
    found += [(SHARED / name, strings, "real") for name, strings in REAL.items() if (SHARED / name).exists()]
    return found


def read_times(engine: str, images: list) -> list[float]:
    from visearch.indexer.images import open_image
    from visearch.indexer.models.ocr import create_ocr

    model = create_ocr(engine, threads=2)
    decoded = [open_image(path) for path, _, _ in images]
    model.read(decoded[0])  # warm-up: sessions, Tesseract's data
    times = []
    for image in decoded:
        began = time.perf_counter()
        model.read(image)
        times.append((time.perf_counter() - began) * 1000)
    return times


def found_by_search(engine: str, images: list) -> dict[str, tuple[int, int]]:
    """Per source (generated, real): strings whose picture a text search ranks in the top 5, and all strings."""
    from visearch.app.indexing import IndexRequest, index
    from visearch.app.searching import search_text
    from visearch.app.settings import Settings
    from visearch.app.engines import open_engine

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env().with_options(library=Path(folder) / "lib")
        index(settings, IndexRequest(paths=[path for path, _, _ in images], clip="tiny", ocr=engine, faces="off",
                                     local_features=False))
        search = open_engine(settings)
        tally: dict[str, list[int]] = {}
        for path, strings, source in images:
            for string in strings:
                paths = [r["path"] for r in search_text(search, string, k=5)["results"]]
                done = tally.setdefault(source, [0, 0])
                done[0] += str(path) in paths
                done[1] += 1
        search.close()
        search.library.close()
    return {source: (done, total) for source, (done, total) in tally.items()}


def crop_cer(engine: str) -> float:
    from visearch.demo.korean import line_crops
    from visearch.indexer.images import open_image
    from visearch.indexer.models.ocr import create_ocr

    model = create_ocr(engine, threads=2)
    errors = []
    for path, truth in line_crops(OUT / "korean" / "crops"):
        read = fold("".join(line.text for line in model.read(open_image(path))))
        errors.append(min(1.0, edit_distance(read, fold(truth)) / max(1, len(fold(truth)))))
    return statistics.mean(errors)


def report(engine: str, images: list) -> dict:
    times = read_times(engine, [image for image in images if image[2] != "mixed"])  # comparable with before
    found = found_by_search(engine, [image for image in images if image[2] != "mixed"])
    found.update(found_by_search(engine, [image for image in images if image[2] == "mixed"]))  # its own library
    cer = crop_cer(engine)
    generated, mixed = found.get("generated", (0, 1)), found.get("mixed", (0, 1))
    real = found.get("real")
    share = generated[0] / generated[1]
    print(f"{engine:<30} {generated[0]:>3}/{generated[1]:<3} {share:6.3f} {mixed[0]:>3}/{mixed[1]:<3} "
          f"{mixed[0] / mixed[1]:6.3f} {f'{real[0]}/{real[1]}' if real else '-':>7} {cer:6.3f} "
          f"{statistics.median(times):7.0f} {statistics.quantiles(times, n=10)[-1]:7.0f}")
    return {"found": share, "mixed": mixed[0] / mixed[1], "cer": cer}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--engines", nargs="+", default=ENGINES)
    parser.add_argument("--routing", action="store_true", help="compare which lines Tesseract reads again")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)
    from visearch.demo.korean import korean_fonts
    from visearch.indexer.models.tesseract import missing_reason

    if not korean_fonts():
        print("no Korean fonts here (fonts-nanum, fonts-noto-cjk): nothing to measure")
        return 0
    if missing_reason():
        print(f"note: {missing_reason()}")
    images = pictures(args.count)
    print(f"{sum(1 for i in images if i[2] == 'generated')} generated pictures "
          f"({sum(len(i[1]) for i in images if i[2] == 'generated')} strings) and "
          f"{sum(1 for i in images if i[2] == 'mixed')} of lines mixing Hangul and Latin (each half a string), "
          f"{sum(1 for i in images if i[2] == 'real')} real ones; search top-5; 40 line crops for the CER")
    print(f"{'engine':<30} {'found':>7} {'share':>6} {'mixed':>7} {'share':>6} {'real':>7} {'CER':>6} {'p50 ms':>7} "
          f"{'p90 ms':>7}")
    results = {engine: report(engine, images) for engine in args.engines}
    if args.routing:
        routing(images)
    best = max(results.values(), key=lambda r: r["found"])
    print(f"goals: found ≥ {GOALS['found']} ({'met' if best['found'] >= GOALS['found'] else 'not met'}), "
          f"mixed ≥ {GOALS['mixed']} ({'met' if best['mixed'] >= GOALS['mixed'] else 'not met'}), "
          f"CER ≤ {GOALS['cer']} ({'met' if min(r['cer'] for r in results.values()) <= GOALS['cer'] else 'not met'})")
    return 0


def routing(images: list) -> None:
    """Which lines Tesseract reads again: only non-Latin readings, also unsure Latin ones, or every line."""
    import visearch.indexer.models.tesseract as ocr

    print("\nrouting (faster-paddle:tiny+hangul): a line is read again unless PP-OCR read plain Latin at least this surely")
    for sure in (0.0, 0.7, 0.9, 1.01):
        ocr.LATIN_SURE = sure
        label = {0.0: "non-Latin only", 1.01: "every line"}.get(sure, f"Latin under {sure}")
        times = read_times("faster-paddle:tiny+hangul", images)
        found = found_by_search("faster-paddle:tiny+hangul", images).get("generated", (0, 1))
        print(f"  {label:<28} found {found[0]}/{found[1]}  p50 {statistics.median(times):.0f} ms  "
              f"p90 {statistics.quantiles(times, n=10)[-1]:.0f} ms")
    ocr.LATIN_SURE = 0.7


if __name__ == "__main__":
    raise SystemExit(main())
