"""Tags: saved moment queries whose segments are stored, applied to new videos as they are indexed;
and the JSON a moments answer is shaped as (the CLI's `--json`, the API)."""
from __future__ import annotations

import re
from typing import Sequence

from visearch.indexer.errors import VisearchError
from visearch.errors import N_
from visearch.storage.codec import chunks
from visearch.moments.find import all_videos, find_moments
from visearch.moments.intervals import Moment
from visearch.moments.query import MomentQuery
from visearch.storage.tags import TagExistsError, TagRecord, TagSegment

NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
BORDERLINE = 0.1  # how far below a tag's cutoff its borderline moments reach
VIDEOS_PER_STEP = 50  # videos whose segments are replaced (and marked applied) together


class TagError(VisearchError):
    """No such tag, or a bad name: the message names it."""


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME.fullmatch(name):
        raise TagError(N_("tag name %(name)s: 1 to 100 characters, no control characters"), code="tag_name",
                       name=f'{name!r}')
    return name


def add_tag(library, name: str, query: MomentQuery, threshold: float | None, *, replace: bool = False) -> TagRecord:
    """Save the query as a tag and apply it to every indexed video."""
    name = check_name(name)
    query.check()
    existing = library.tags.find_tag(name)
    if existing is not None:
        if not replace:
            raise TagExistsError(N_("a tag named '%(name)s' exists: pick another name, or --replace it"),
                                 code="tag_exists", name=existing.name)
        library.tags.delete_tag(existing.id)
    tag_id = library.tags.create_tag(name, query.json(), threshold)
    apply_tag(library, tag_id, query, threshold, all_videos(library))
    return library.tags.find_tag(name)


def find_tag(library, name: str) -> TagRecord:
    tag = library.tags.find_tag(name)
    if tag is None:
        known = ", ".join(t.name for t in library.tags.tags()) or "none yet"
        raise TagError(N_("no tag named '%(name)s' (tags: %(known)s)"), code="tag_missing", name=name, known=known)
    return tag


def apply_tag(library, tag_id: int, query: MomentQuery, threshold: float | None, videos: Sequence[int]) -> int:
    """Store the tag's segments in `videos`, a step of videos at a time; returns how many."""
    count = 0
    for step in chunks(list(videos), VIDEOS_PER_STEP):
        moments = find_moments(library, query.with_threshold(threshold), videos=step)
        library.tags.replace_segments(tag_id, step, [TagSegment(m.video, m.start, m.end, m.score, m.thumbnail_item,
                                                                m.evidence) for m in moments])
        count += len(moments)
    return count


def apply_new(library) -> dict[str, int]:
    """Apply every tag to the videos it has not seen yet (after indexing); returns segments per tag."""
    videos = set(all_videos(library))
    applied = {}
    for tag in library.tags.tags():
        new = sorted(videos - library.tags.applied_videos(tag.id))
        if new:
            applied[tag.name] = apply_tag(library, tag.id, MomentQuery.from_json(tag.query), tag.threshold, new)
    return applied


def borderline(library, tag: TagRecord, videos: Sequence[int] | None = None) -> list[Moment]:
    """Moments that score just under the tag's cutoff: what a lower threshold would add."""
    query = MomentQuery.from_json(tag.query).with_threshold(tag.threshold)
    kept = find_moments(library, query, videos=videos)
    near = find_moments(library, query, videos=videos, margin=BORDERLINE)
    return [m for m in near if not any(k.video == m.video and k.start < m.end and m.start < k.end for k in kept)]


def tag_json(tag: TagRecord) -> dict:
    query = MomentQuery.from_json(tag.query)
    return {"id": tag.id, "name": tag.name, "query": query.describe(), "threshold": tag.threshold,
            "segments": tag.segments, "videos": tag.videos}


def stored_moments(library, tag: TagRecord) -> list[Moment]:
    """A tag's stored segments, as moments."""
    return [Moment(s.video_id, s.start, s.end, s.score, s.thumbnail_item, s.evidence)
            for _, s in library.tags.segments(tag.id)]


def notes(library, query: MomentQuery) -> list[str]:
    """What the answer cannot see, said plainly: words on screen in frames the index never read."""
    if not any(c.kind == "text" for c in query.clauses):
        return []
    read = library.manifest.video_ocr
    if read == "off":
        return [N_("the videos were indexed without OCR: no words on screen can be found (index with OCR on)")]
    if read == "keyframes":
        return [N_("only each shot's first frame was read for text: captions that appear within a shot are missed "
                   "(index again: the default reads text wherever it changes)")]
    return []


def moments_json(library, moments: Sequence[Moment], query: str = "", notes: Sequence[str] = ()) -> dict:
    """Moments with their video's path and a thumbnail: the `moments --json` and API shape."""
    videos = library.docs.get_videos({m.video for m in moments})
    items = library.docs.get([m.thumbnail_item for m in moments if m.thumbnail_item is not None])
    return {"query": query, "notes": list(notes), "moments": [
        {"video": videos[m.video].path, "video_id": m.video, "start": round(m.start, 3), "end": round(m.end, 3),
         "score": round(m.score, 4), "thumbnail": items[m.thumbnail_item].thumbnail if m.thumbnail_item in items
         else None, "thumbnail_item": m.thumbnail_item, "evidence": m.evidence}
        for m in moments if m.video in videos]}
