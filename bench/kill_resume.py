"""A long index run killed late: how much of its work does the resume redo?

    python bench/kill_resume.py [--images 5000] [--at 0.9]

Generates N photos, times one uninterrupted `visearch index` (tiny CLIP, keypoints on, OCR and
faces off), then starts the same run on a new library, sends SIGKILL at `--at` of that time,
and resumes. Reports the share of images the resume indexed again (goal ≤ 10 %) and checks the
killed library held no document without its vector and keypoints.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def index(library: Path, folder: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "visearch", "--library", str(library), "index", str(folder), "--clip", "tiny",
         "--ocr", "off", "--faces", "off", "--no-progress", *extra],
        cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def state(library: Path) -> tuple[int, int, int]:
    from visearch.storage.library import Library

    with Library.open(library, read_only=True) as opened:
        return opened.completeness()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--at", type=float, nargs="+", default=[0.5, 0.8, 0.9],
                        help="kill at these shares of the uninterrupted time (one killed run each)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    folder = work / "photos"
    from visearch.demo.generate import random_photos

    random_photos(folder, args.images, size=(320, 240))

    began = time.perf_counter()
    full = index(work / "full", folder)
    full.communicate()
    duration = time.perf_counter() - began
    print(f"{args.images} images; uninterrupted run {duration:.1f} s ({args.images / duration:.1f} img/s)")

    for at in args.at:
        kill_and_resume(work / f"killed-{at}", folder, duration, at, args.images)


def kill_and_resume(library: Path, folder: Path, duration: float, at: float, images: int) -> None:
    killed = index(library, folder)
    time.sleep(duration * at)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    docs, complete, features = state(library) if (library / "manifest.json").exists() else (0, 0, 0)
    print(f"killed at {at:.0%} ({duration * at:.1f} s): {docs} documents, {complete} with vectors, "
          f"{features} with keypoints ({'consistent' if docs == complete == features else 'INCONSISTENT'})")
    began = time.perf_counter()
    out, _ = index(library, folder, "--json").communicate()
    report = json.loads(out)
    resumed = time.perf_counter() - began
    # The resume can only redo images it indexes; it redoes all of them if the killed run had
    # reached them, which it had when the kill came after the last image was read (late kills).
    print(f"  resume: {report['unchanged']} unchanged, {report['indexed']} indexed in {resumed:.1f} s → "
          f"redone at most {report['indexed']} = {report['indexed'] / images:.1%} of the work (goal ≤ 10 %); "
          f"final {state(library)}")


if __name__ == "__main__":
    main()
