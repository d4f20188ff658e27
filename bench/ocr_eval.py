"""Which OCR engine reads best and fastest here: every candidate through visearch's own OCR path.

    python bench/ocr_eval.py [--engines rapidocr rapidocr:v5 faster-paddle:tiny faster-paddle:small]

Scores each engine on ../shared/data/ocr/ground_truth.tsv:
  * strings found: each ground-truth string, whitespace- and case-folded, found in what the engine read;
  * character error rate where the truth is one string (word and line crops);
  * ms per image, median and p90 (after one warm-up read; both cores);
  * found shares per script (Latin, Chinese, Japanese, Korean, other) and per kind (word crops,
    scene photos, documents).
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visearch.text.normalise import edit_distance  # noqa: E402 - also bench/korean_eval.py's

SHARED = ROOT.parent / "shared" / "data"
ENGINES = ["faster-paddle:tiny+hangul@full", "faster-paddle:tiny+hangul", "faster-paddle:tiny@full", "faster-paddle:tiny"]
DOCUMENTS = {"english.png", "254.jpg", "img_12.jpg", "11.jpg", "page.png"}  # the rest are scenes or crops


@dataclass
class Case:
    path: Path
    strings: list[str]
    script: str
    kind: str


@dataclass
class Score:
    found: int = 0
    total: int = 0
    errors: list[float] = field(default_factory=list)  # CER per single-string case
    ms: list[float] = field(default_factory=list)
    by_script: dict = field(default_factory=dict)
    by_kind: dict = field(default_factory=dict)


def fold(text: str) -> str:
    """Whitespace- and case-folded, width-normalised: how strings are compared."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def script_of(text: str) -> str:
    names = [unicodedata.name(ch, "") for ch in text if not ch.isspace()]
    if any("HANGUL" in n for n in names):
        return "Korean"
    if any("HIRAGANA" in n or "KATAKANA" in n for n in names):
        return "Japanese"
    if any("CJK UNIFIED" in n for n in names):
        return "Chinese"
    letters = [n for n in names if "LETTER" in n]
    if letters and all("LATIN" in n for n in letters) or not letters:
        return "Latin"
    return "other"


def kind_of(path: Path) -> str:
    if "imgs_words" in str(path):
        return "word crops"
    return "documents" if path.name in DOCUMENTS else "scene photos"


def cases() -> list[Case]:
    rows = csv.DictReader(open(SHARED / "ocr" / "ground_truth.tsv", encoding="utf-8"), delimiter="\t")
    found = []
    for row in rows:
        strings = [s.strip() for s in row["text"].split(" | ") if s.strip()]
        if strings and (SHARED / row["file"]).exists():
            found.append(Case(SHARED / row["file"], strings, script_of(" ".join(strings)), kind_of(Path(row["file"]))))
    return found


def evaluate(name: str, all_cases: list[Case], images: dict) -> Score:
    from visearch.indexer.models.ocr import create_ocr

    # "faster-paddle:tiny@max960": the detector sees the long side at 960 px; "@min736": the short side at ≥ 736;
    # "@full": no cheap first look (every picture read at the full detector side, as before the look)
    engine, _, size = name.partition("@")
    options = {"detect_limit": size[:3], "detect_side": int(size[3:])} if size and size != "full" else {}
    model = create_ocr(engine, threads=2, **options)
    if size == "full":
        model.probe_side = None
    model.load()
    model.read(images[all_cases[0].path])  # warm-up: sessions, allocations
    score = Score()
    for case in all_cases:
        began = time.perf_counter()
        lines = model.read(images[case.path])
        score.ms.append((time.perf_counter() - began) * 1000)
        read = fold("".join(line.text for line in lines))
        hits = sum(fold(s) in read for s in case.strings)
        score.found += hits
        score.total += len(case.strings)
        for table, key in ((score.by_script, case.script), (score.by_kind, case.kind)):
            done, total = table.get(key, (0, 0))
            table[key] = (done + hits, total + len(case.strings))
        if len(case.strings) == 1:
            truth = fold(case.strings[0])
            score.errors.append(min(1.0, edit_distance(read, truth) / max(len(truth), 1)))
    model.close()
    return score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", nargs="+", default=ENGINES)
    args = parser.parse_args()
    if not (SHARED / "ocr" / "ground_truth.tsv").exists():
        print(f"no sample data at {SHARED}: nothing to measure")
        return 0
    from visearch.indexer.images import open_image

    all_cases = cases()
    images = {case.path: open_image(case.path) for case in all_cases}
    scores = {name: evaluate(name, all_cases, images) for name in args.engines}
    print(f"{len(all_cases)} images, {sum(len(c.strings) for c in all_cases)} strings "
          f"({sum(len(c.strings) == 1 for c in all_cases)} single-string crops for the CER)")
    print(f"{'engine':<22} {'found':>9} {'share':>6} {'CER':>6} {'p50 ms':>7} {'p90 ms':>7}")
    for name, s in scores.items():
        p90 = statistics.quantiles(s.ms, n=10)[-1]
        print(f"{name:<22} {s.found:>4}/{s.total:<4} {s.found / s.total:6.3f} {statistics.mean(s.errors):6.3f} "
              f"{statistics.median(s.ms):7.0f} {p90:7.0f}")
    for title, attribute in (("script", "by_script"), ("kind", "by_kind")):
        keys = sorted({k for s in scores.values() for k in getattr(s, attribute)})
        print(f"\nstrings found by {title}: " + "  ".join(f"{k} ({getattr(next(iter(scores.values())), attribute)[k][1]})"
                                                      for k in keys))
        for name, s in scores.items():
            table = getattr(s, attribute)
            print(f"  {name:<20} " + "  ".join(f"{k}: {table[k][0] / table[k][1]:.2f}" for k in keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
