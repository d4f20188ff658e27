"""Exporting spans of video: a clip, a person's reel, the clips or moments of an answer."""
from __future__ import annotations

import tempfile
from pathlib import Path

from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.search import details
from visearch.storage.media import video_file
from visearch.people.export import compile_reel, cut_clip, export_segments, export_spans


def export_clip(library, video_id: int, start: float = 0.0, end: float | None = None) -> Path:
    """[start, end) of an indexed video, frame-exact, in a new temporary folder (the caller removes it)."""
    found = library.docs.get_videos([video_id]).get(video_id)
    if found is None:
        raise details.NotFoundError(N_("no video %(video_id)s"), code="video_missing", video_id=video_id)
    end = found.duration if end is None else min(end, found.duration)
    if start > found.duration:
        raise InvalidInput(N_("start: the video is only %(duration)s s long"), code="clip_start_outside",
                           duration=f'{found.duration:.1f}')
    if end - start < 0.05:
        raise InvalidInput(N_("end: must come after start"), code="clip_end_before_start")
    source, _ = video_file(library, video_id)
    target = Path(tempfile.mkdtemp(prefix="visearch-clip-")) / f"{Path(found.path).stem}-{start:.1f}-{end:.1f}.mp4"
    return cut_clip(source, start, end, target)


def export_reel(library, person_id: int) -> Path:
    """All of a person's clips joined into one reel, in a new temporary folder (the caller removes it)."""
    clips = details.person_clips(library, person_id)["clips"]
    if not clips:
        raise details.NotFoundError(N_("this person has no clips"), code="no_clips")
    folder = Path(tempfile.mkdtemp(prefix="visearch-reel-"))
    files = export_segments([(Path(c["video"]), c["start"], c["end"]) for c in clips], folder)
    return compile_reel(files, folder / f"person-{person_id}-reel.mp4")


def export_answer(spans: list[dict], folder: Path | None, reel: Path | None, *, exact: bool = True) -> list[str]:
    """The spans of a clips or moments answer, cut to `folder` and joined into `reel`; the paths written."""
    if not spans:
        raise InvalidInput(N_("nothing to export: the answer has no spans"), code="nothing_to_export")
    return export_spans(spans, folder, reel, exact=exact)
