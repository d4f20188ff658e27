"""How well and how fast moments and tags work, on generated videos with known ground truth.

    python bench/moments_eval.py [--hour-copies 86] [--text-only]

Text inside shots (no sample data needed): four generated 60 s broadcasts (fixtures/onscreen.py: captions
mid-shot at random times, some over a moving backdrop, lower thirds that slide in, a scoreboard whose score
changes and whose clock ticks, a static logo, Korean captions) indexed with the defaults and with
`--ocr-frames keyframes` (the old default), in the same run. Reports per kind of text the segment recall
and precision at 1 s tolerance (goal >= 0.95 / 0.95 with the defaults) and the share of captions whose
moment starts within 0.5 s of the truth (goal >= 0.9).

The rest needs ../shared/data:

Generates a 1280x720, 25 fps, 42 s broadcast (fixtures/broadcast.py: shots, captions at
known times, a bumper graphic full size and then small and partly covered, a person in
some shots) and indexes it (`tiny` CLIP, default OCR, keypoints on). Reports:
  * segment recall and precision at 1 s tolerance for a text tag (goal >= 0.95 / 0.95), an
    example-picture tag (goal >= 0.9 / 0.9) and a person AND text query;
  * the time to apply one tag to an indexed hour (goal <= 1 s per tag per hour, no decoding):
    the broadcast's stored frames, vectors and keypoints are copied until the library holds an
    hour of video, so the hour is real index data without an hour of indexing;
  * the incremental cost at index time: the same video indexed with and without frame
    keypoints, and the time `index` spends applying the tags to it.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
TOLERANCE = 1.0


def cli(library: Path, *argv: str) -> None:
    from visearch.cli import main

    if main(["--library", str(library), *argv]):
        raise SystemExit(f"visearch {' '.join(argv)} failed")


def scores(found: list[tuple[float, float]], truth: list[tuple[float, float]]) -> tuple[float, float]:
    """Segment recall and precision: a segment matches when both its ends are within 1 s."""
    def matches(a, b):
        return abs(a[0] - b[0]) <= TOLERANCE and abs(a[1] - b[1]) <= TOLERANCE

    recall = sum(any(matches(t, f) for f in found) for t in truth) / len(truth) if truth else 1.0
    precision = sum(any(matches(f, t) for t in truth) for f in found) / len(found) if found else 1.0
    return recall, precision


def index(library: Path, video: Path, *extra: str) -> float:
    started = time.perf_counter()
    cli(library, "index", str(video), "--clip", "tiny", "--no-progress", *extra)
    return time.perf_counter() - started


CAPTION_KINDS = ("caption", "moving caption", "lower third")


def text_queries(video) -> list[tuple[str, str, list]]:
    """(kind, text, true spans) for every string a user would look for; five of the clock's values."""
    queries = [(video.kinds[text], text, spans) for text, spans in video.truth.items() if video.kinds[text] != "clock"]
    clocks = [text for text in video.truth if video.kinds[text] == "clock"]
    return queries + [("clock", text, video.truth[text]) for text in clocks[7::11][:5]]


def text_accuracy(library_path: Path, videos) -> dict[str, list[int]]:
    """Per kind: [true segments, found of them, moments, right of them, caption starts within 0.5 s]."""
    from visearch.app.library import open_library
    from visearch.app.moments import MomentRequest, find
    from visearch.app.settings import Settings

    counts: dict[str, list[int]] = {}
    library = open_library(Settings.from_env().with_options(library=library_path))
    try:
        for video in videos:
            for kind, text, truth in text_queries(video):
                found = [(m["start"], m["end"]) for m in
                         find(library, MomentRequest(texts=[text]), videos=[str(video.path)])["moments"]]
                recall, precision = scores(found, truth)
                starts = sum(any(abs(f[0] - t[0]) <= 0.5 and f[1] > t[0] for f in found) for t in truth)
                row = counts.setdefault(kind, [0, 0, 0, 0, 0])
                for number, value in enumerate((len(truth), round(recall * len(truth)), len(found),
                                                round(precision * len(found)), starts)):
                    row[number] += value
    finally:
        library.close()
    return counts


def text_report(label: str, counts: dict[str, list[int]], seconds: float) -> None:
    print(f"{label}: indexed in {seconds:.1f} s")
    total = [sum(row[i] for row in counts.values()) for i in range(5)]
    for kind, row in sorted(counts.items()) + [("all", total)]:
        start = f"  starts within 0.5 s {row[4] / row[0]:.3f}" if kind in CAPTION_KINDS else ""
        print(f"  {kind:<15} recall {row[1] / max(row[0], 1):.3f} ({row[1]}/{row[0]})  precision "
              f"{row[3] / max(row[2], 1):.3f} ({row[3]}/{row[2]}){start}")
    captions = [counts[k] for k in CAPTION_KINDS if k in counts]
    share = sum(r[4] for r in captions) / max(sum(r[0] for r in captions), 1)
    recall, precision = total[1] / max(total[0], 1), total[3] / max(total[2], 1)
    print(f"  goals: recall {recall:.3f} >= 0.95 {'met' if recall >= 0.95 else 'NOT met'}; precision "
          f"{precision:.3f} >= 0.95 {'met' if precision >= 0.95 else 'NOT met'}; caption starts within 0.5 s "
          f"{share:.3f} >= 0.9 {'met' if share >= 0.9 else 'NOT met'}")


def text_in_shots(work: Path) -> None:
    from bench.common import caption_videos

    videos = caption_videos()
    print(f"text inside shots: {len(videos)} generated broadcasts of 60 s, 1280x720, 25 fps "
          f"({sum(len(text_queries(v)) for v in videos)} strings searched)")
    for label, extra in (("default (--ocr-frames changes)", ()), ("--ocr-frames keyframes (the old default)",
                                                                   ("--ocr-frames", "keyframes"))):
        library = work / f"text-{extra[-1] if extra else 'changes'}"
        shutil.rmtree(library, ignore_errors=True)
        started = time.perf_counter()
        cli(library, "index", *[str(v.path) for v in videos], "--clip", "tiny", "--no-progress", *extra)
        text_report(label, text_accuracy(library, videos), time.perf_counter() - started)


def queries(fixture, library) -> dict:
    from visearch.moments.query import Clause, MomentQuery
    from visearch.app.moments import MomentRequest, build_query

    tags = {f'text "{text}"': (MomentQuery([Clause("text", text)]), spans)
            for text, spans in fixture.truth["captions"].items()}
    tags['picture "bumper"'] = (build_query(library, MomentRequest(images=[fixture.bumper])), fixture.truth["bumper"])
    tags['person AND text "STRIKE OUT"'] = (MomentQuery([Clause("person", "Angelina"), Clause("text", "STRIKE OUT")]),
                                            [(13.0, 17.0)])
    return tags


def accuracy(fixture, library) -> dict:
    from visearch.moments.find import find_moments

    results = {}
    for name, (query, truth) in queries(fixture, library).items():
        found = [(m.start, m.end) for m in find_moments(library, query)]
        results[name] = scores(found, truth)
        print(f"  {name:<32} recall {results[name][0]:.3f}  precision {results[name][1]:.3f}  "
              f"({len(found)} found, {len(truth)} true)")
    return results


def fill_hour(library, copies: int) -> float:
    """Copy the indexed video's frames, vectors and keypoints under new paths: `copies` videos."""
    from dataclasses import replace

    video_id = min(s.id for s in library.docs.file_states() if s.kind == "video")
    video = library.docs.get_videos([video_id])[video_id]
    frames = library.docs.frames_of(video_id)
    vectors = library.vectors.get([f.id for f in frames])
    features = [library.frame_features.get(f.id) for f in frames]
    for number in range(copies - 1):
        path = f"{video.path}.copy{number:03d}.mp4"
        new_video = library.docs.upsert_video(replace(video, id=None, path=path, sha256=f"copy{number}"))
        ids = library.docs.upsert([replace(f, id=None, path=path, sha256=f"copy{number}", video_id=new_video)
                                   for f in frames])
        library.vectors.add(ids, vectors)
        for item, found in zip(ids, features):
            if found is not None:
                library.frame_features.put(item, found)
    library.save()
    return copies * video.duration


def hour(fixture, work: Path, copies: int) -> None:
    from visearch.storage.library import Library
    from visearch.moments.tags import apply_tag

    with Library.open(work / "lib") as library:
        seconds = fill_hour(library, copies)
        print(f"an indexed hour: {copies} videos, {seconds / 3600:.2f} h, "
              f"{len(library.docs.item_ids())} frames")
        for name, (query, _) in queries(fixture, library).items():
            tag = library.tags.create_tag(f"bench {name}", query.json(), None)
            started = time.perf_counter()
            count = apply_tag(library, tag, query, None, sorted(s.id for s in library.docs.file_states()
                                                                 if s.kind == "video"))
            took = time.perf_counter() - started
            print(f"  apply {name:<32} {took:.2f} s = {took / (seconds / 3600):.2f} s per tag per indexed hour "
                  f"({count} moments)")
        library.docs.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hour-copies", type=int, default=86, help="copies of the 42 s video (86: an hour)")
    parser.add_argument("--text-only", action="store_true", help="only text inside shots")
    args = parser.parse_args()
    text_in_shots(ROOT / "bench" / "out" / "moments")
    if args.text_only:
        return 0
    if not SHARED.is_dir():
        print(f"no sample data at {SHARED}: the rest needs it")
        return 0
    from fixtures.broadcast import generate_broadcast
    from visearch.storage.library import Library

    work = ROOT / "bench" / "out" / "moments" / "broadcast"
    shutil.rmtree(work, ignore_errors=True)
    fixture = generate_broadcast(SHARED, work / "video", width=1280, height=720, fps=25)
    index(work / "warm", fixture.video, "--local-features", "off")  # models loaded and warm for both runs
    plain = index(work / "plain", fixture.video, "--local-features", "off")
    with_keypoints = index(work / "lib", fixture.video)
    cli(work / "lib", "people", "enroll", "Angelina", *map(str, fixture.enroll))
    print(f"indexing the 42 s broadcast: {plain:.1f} s without frame keypoints, {with_keypoints:.1f} s with "
          f"(+{with_keypoints - plain:.1f} s, {(with_keypoints - plain) / 42:.2f} s per second of video)")
    with Library.open(work / "lib") as library:
        print("segments at 1 s tolerance:")
        accuracy(fixture, library)
    cli(work / "lib", "tags", "add", "home run", "--text", "home run")
    cli(work / "lib", "tags", "add", "bumper", "--image", str(fixture.bumper))
    second = work / "video" / "again.mp4"
    shutil.copy(fixture.video, second)  # a new file of the same content: indexed like a new video
    with_tags = index(work / "lib", second)
    with Library.open(work / "lib") as library:
        from visearch.moments.query import MomentQuery
        from visearch.moments.tags import apply_tag

        newest = max(s.id for s in library.docs.file_states() if s.kind == "video")
        started = time.perf_counter()
        for tag in library.tags.tags():
            apply_tag(library, tag.id, MomentQuery.from_json(tag.query), tag.threshold, [newest])
        applying = time.perf_counter() - started
    print(f"indexing the next 42 s video with 2 tags: {with_tags:.1f} s, of which applying the tags "
          f"{applying:.2f} s")
    hour(fixture, work, args.hour_copies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
