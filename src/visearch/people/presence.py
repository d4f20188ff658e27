"""Where people are on screen: every face the index saw in a video, with its time; and how present a
person is across the library."""
from __future__ import annotations

from dataclasses import dataclass

from visearch.storage.documents import VideoDoc
from visearch.storage.faces import FaceRow


@dataclass(frozen=True, slots=True)
class Sighted:
    face: FaceRow
    time: float


def sightings(library, video: VideoDoc) -> list[Sighted]:
    """Every face the index found in the video, with its time."""
    frames = [doc for doc in library.docs.frames_of(video.id) if doc.time is not None]
    faces = library.faces.faces_of([doc.id for doc in frames])
    return [Sighted(face, doc.time) for doc in frames for face in faces.get(doc.id, [])]


def presence(library, person_id: int, clips: list[dict], *, top: int = 5) -> dict:
    """How much a person is in the library: screen time over all videos (the reel's `clips`, as
    details.person_clips gives them, added up), their videos and photos, first and last seen (when the media
    was taken; the file's date where that is unknown, counted in `dates_from_files`), the people they are
    pictured with most, and per video where they are on screen (the person page's presence strip)."""
    [row] = library.faces.people([person_id])
    videos = library.docs.get_videos({clip["video_id"] for clip in clips})
    strip: dict[int, list] = {}
    for clip in clips:
        strip.setdefault(clip["video_id"], []).append({"start": clip["start"], "end": clip["end"]})
    faces = library.faces.person_faces(person_id)
    items = library.docs.get(list({face.item_id for face in faces}))
    dated = [seen_day(doc.taken, doc.mtime_ns) for doc in items.values() if doc.kind == "image"]
    dated += [seen_day(video.taken, video.mtime_ns) for video in videos.values()]
    days = [day for day, _ in dated]
    return {
        "person": person_id, "screen_time": round(sum(c["end"] - c["start"] for c in clips), 1),
        "videos": len(videos), "photos": row.photos,
        "first_seen": min(days, default=None), "last_seen": max(days, default=None),
        "dates_from_files": sum(from_file for _, from_file in dated),
        "with": pictured_with(library, person_id, [face.item_id for face in faces], top=top),
        "strip": [{"video": video_id, "path": videos[video_id].path, "duration": round(videos[video_id].duration, 3),
                   "seconds": round(sum(s["end"] - s["start"] for s in spans), 1), "spans": spans}
                  for video_id, spans in sorted(strip.items(), key=lambda pair: videos[pair[0]].path)
                  if video_id in videos],
    }


def pictured_with(library, person_id: int, item_ids: list[int], *, top: int = 5) -> list[dict]:
    """The people most often in the same photo or video frame as this one, with how often."""
    counts: dict[int, int] = {}
    for faces in library.faces.faces_of(list(set(item_ids))).values():
        for other in {face.person_id for face in faces} - {person_id, None}:
            counts[other] = counts.get(other, 0) + 1
    rows = {row.id: row for row in library.faces.people(list(counts))}
    ranked = sorted((p for p in counts if p in rows and not rows[p].hidden), key=lambda p: (-counts[p], p))[:top]
    return [{"id": p, "name": rows[p].name, "pictures": counts[p]} for p in ranked]


def seen_day(taken: str, mtime_ns: int) -> tuple[str, bool]:
    """The day a picture was taken, and whether it is only the file's date (unknown when taken). Pure."""
    from datetime import datetime, timezone

    if taken:
        return taken[:10], False
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=timezone.utc).date().isoformat(), True
