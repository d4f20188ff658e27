"""How well and how fast visearch frames a fancam, on a generated stage with known ground truth.

    python bench/fancam_eval.py [--duration 30] [--fps 25]      # needs ../shared/data

Generates a 1080p group "stage" (fixtures/stage.py: four members with faces from
../shared/data/faces, crossing, one hidden behind others, one leaving and coming
back, a beep and a floor flash every 4 s), indexes it, enrolls each member from
three photos the video does not use, and reports per member:
  * framing accuracy: over frames where the member's face can be seen and their body
    is on stage, the share whose crop holds the whole face and body box and is not
    centred on another member (goal >= 0.98); frames centred on another member (goal 0);
  * smoothness: p95 of the crop centre's jerk (px/frame^3) while framing, beside that
    of a crop that follows the detections directly (linear between looks);
  * audio offset: beep onset minus flash frame in the fancam itself (goal <= 1 frame);
  * speed: a 720x1280 fancam's real-time factor (goal >= 1x), and a 4-member grid's
    (goal >= 0.5x).
Then runs the same on a real multi-person video from ../shared/data/videos, and
writes contact sheets (a frame a second) to tests/artifacts/.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "tests" / "artifacts"
REAL_VIDEO = "videos/intel_head-pose-face-detection-female-and-male_fromgif.mp4"  # two people side by side


def cli(library: Path, *argv: str) -> None:
    from visearch.cli import main

    code = main(["--library", str(library), *argv])
    if code:
        raise SystemExit(f"visearch {' '.join(argv)} failed ({code})")


def stage_library(work: Path, duration: float, fps: int):
    from fixtures.stage import generate_stage

    started = time.perf_counter()
    stage = generate_stage(SHARED, work / "stage", fps=fps, duration=duration)
    print(f"stage video: 1920x1080 {fps} fps, {duration:.0f} s, made in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    cli(work / "lib", "index", str(stage.video), "--clip", "tiny", "--ocr", "off", "--local-features", "off",
        "--no-progress")
    print(f"indexed in {time.perf_counter() - started:.1f} s")
    for member, photos in stage.enroll.items():
        cli(work / "lib", "people", "enroll", member.split(":")[1], *map(str, photos))
    return stage


def jerk_while_framing(crops, raw) -> tuple[float, float]:
    """p95 jerk of the camera's centre and of a crop on the detections, over frames with a sighting."""
    from visearch.fancam.camera import body_box, jerk_p95

    runs, camera, direct = [], [], []
    for crop, face in zip(crops, raw):
        if face is None:
            runs.append((camera, direct))
            camera, direct = [], []
            continue
        body = body_box(face, (10 ** 6, 10 ** 6))
        camera.append(crop.cx)
        direct.append((body[0] + body[2]) / 2)
    runs.append((camera, direct))
    worst = [(jerk_p95(c), jerk_p95(d)) for c, d in runs if len(c) >= 8]
    return (max(w[0] for w in worst), max(w[1] for w in worst)) if worst else (0.0, 0.0)


def member_report(library, stage, name: str, work: Path, duration: float, fps: int) -> dict:
    from fixtures.stage import av_offset, score_framing
    from visearch.fancam.make import FancamRequest, make_fancam

    out = work / f"{name}.mp4"
    result = make_fancam(library, FancamRequest(str(stage.video), out, [name], height=1280))
    framing = score_framing(result.paths[0], stage.truth, f"deepface:{name}", result.first_frame)
    camera, direct = jerk_while_framing(result.paths[0], result.raw[0])
    offsets = av_offset(out, stage.truth["beeps"])
    worst_offset = max((abs(o) for o in offsets), default=float("nan"))
    rtf = (result.end - result.start) / result.seconds
    print(f"  {name:<9} accuracy {framing['accuracy']:.3f} over {framing['frames']} frames  "
          f"other member centred {framing['wrong_member']}  jerk p95 {camera:.2f} (direct {direct:.2f})  "
          f"A/V offset max {worst_offset * 1000:.0f} ms = {worst_offset * fps:.2f} frames over {len(offsets)} beeps  "
          f"{result.end - result.start:.1f} s in {result.seconds:.1f} s = {rtf:.2f}x real time")
    return {"name": name, **framing, "jerk": camera, "direct_jerk": direct, "offset": worst_offset, "rtf": rtf,
            "result": result}


def redacted_sheet(video: Path, target: Path, stage, reports: list[dict], columns: int) -> None:
    """A contact sheet with the members' face photos pixelated (they are third-party pictures)."""
    from fixtures.stage import contact_sheet

    contact_sheet(video, target, every=2.0, columns=columns,
                  redact=lambda index: _faces_in_output(index, stage, reports))


def _faces_in_output(index: int, stage, reports: list[dict]) -> list[tuple[float, float, float, float]]:
    """Where each member's head photo lands in output frame `index` (tile by tile), in output pixels."""
    boxes = []
    for tile, report in enumerate(reports):
        result = report["result"]
        if index >= len(result.paths[0]):
            continue
        crop = result.paths[0][index]
        tile_w, tile_h = result.size[0] // len(reports), result.size[1]
        scale = tile_h / crop.height
        x0, y0 = crop.box[:2]
        for record in stage.truth["members"].values():
            fx0, fy0, fx1, fy1 = record["face"][result.first_frame + index]
            size = fx1 - fx0
            head = (fx0 - 0.6 * size, fy0 - 0.7 * size, fx1 + 0.6 * size, fy1 + 0.9 * size)
            boxes.append((tile * tile_w + (head[0] - x0) * scale, (head[1] - y0) * scale,
                          tile * tile_w + (head[2] - x0) * scale, (head[3] - y0) * scale))
    return boxes


def real_video(work: Path) -> None:
    from fixtures.stage import contact_sheet
    from visearch.fancam.make import FancamRequest, make_fancam
    from visearch.storage.library import Library

    video = SHARED / REAL_VIDEO
    library = work / "real-lib"
    # A 4.5 s clip: five samples a second give the index enough faces to make people of.
    cli(library, "index", str(video), "--clip", "tiny", "--ocr", "off", "--local-features", "off", "--no-progress",
        "--sample-rate", "5")
    with Library.open(library, read_only=True) as opened:
        people = [row.id for row in opened.faces.people()]
        print(f"real video {video.name}: {len(people)} people found by the index")
        if not people:
            return
        single = make_fancam(opened, FancamRequest(str(video), work / "real-person.mp4", [str(people[0])],
                                                   height=1280))
        print(f"  one person: {single.json()['members']}  {single.end - single.start:.1f} s in "
              f"{single.seconds:.1f} s")
        contact_sheet(single.path, ARTIFACTS / "fancam-real-person.png", every=0.5, columns=9)
        if len(people) < 2:
            print("  grid: not made: the index made fewer than two people of this clip")
        else:
            grid = make_fancam(opened, FancamRequest(str(video), work / "real-grid.mp4", None, grid=True,
                                                     top=min(4, len(people)), height=720))
            print(f"  grid: {grid.json()['members']}  {grid.size[0]}x{grid.size[1]}  "
                  f"{grid.end - grid.start:.1f} s in {grid.seconds:.1f} s")
            contact_sheet(grid.path, ARTIFACTS / "fancam-real-grid.png", every=0.5, columns=5)
        print(f"  contact sheets: {ARTIFACTS}/fancam-real-*.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"no sample data at {SHARED}: nothing to measure")
        return 0
    from visearch.fancam.make import FancamRequest, make_fancam
    from visearch.storage.library import Library

    work = ROOT / "bench" / "out" / "fancam"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stage = stage_library(work, args.duration, args.fps)
    print("per member, 9:16 at 720x1280:")
    with Library.open(work / "lib", read_only=True) as library:
        reports = [member_report(library, stage, member.split(":")[1], work, args.duration, args.fps)
                   for member in stage.truth["members"]]
        grid = make_fancam(library, FancamRequest(str(stage.video), work / "grid.mp4", grid=True,
                                                  people=[m.split(":")[1] for m in stage.truth["members"]],
                                                  height=720))
    worst = min(r["accuracy"] for r in reports)
    print(f"framing accuracy: worst member {worst:.3f} (goal >= 0.98); other member centred: "
          f"{sum(r['wrong_member'] for r in reports)} frames (goal 0)")
    print(f"A/V offset: worst {max(r['offset'] for r in reports) * args.fps:.2f} frames (goal <= 1)")
    print(f"speed: one member {min(r['rtf'] for r in reports):.2f}-{max(r['rtf'] for r in reports):.2f}x real time "
          f"(goal >= 1x); 4-member grid {grid.size[0]}x{grid.size[1]}: "
          f"{(grid.end - grid.start) / grid.seconds:.2f}x (goal >= 0.5x)")
    first = reports[0]
    redacted_sheet(first["result"].path, ARTIFACTS / "fancam-stage-member.png", stage, [first], columns=15)
    redacted_sheet(grid.path, ARTIFACTS / "fancam-stage-grid.png", stage,
                   [{"result": _one(grid, n)} for n in range(len(grid.paths))], columns=4)
    print(f"contact sheets (faces pixelated): {ARTIFACTS}/fancam-stage-*.png")
    (work / "report.json").write_text(json.dumps([{k: v for k, v in r.items() if k != "result"} for r in reports]))
    real_video(work)
    return 0


def _one(result, number: int):
    """A grid result seen as one member's, for redacting its tile."""
    from dataclasses import replace

    return replace(result, paths=[result.paths[number]], size=result.size)


if __name__ == "__main__":
    raise SystemExit(main())
