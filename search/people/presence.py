"""Where people are on screen: every face the index saw in a video, with its time."""
from __future__ import annotations

from dataclasses import dataclass

from search.documents import VideoDoc
from search.people.store import FaceRow


@dataclass(frozen=True, slots=True)
class Sighted:
    face: FaceRow
    time: float


def sightings(library, video: VideoDoc) -> list[Sighted]:
    """Every face the index found in the video, with its time."""
    frames = [doc for doc in library.docs.frames_of(video.id) if doc.time is not None]
    faces = library.faces.faces_of([doc.id for doc in frames])
    return [Sighted(face, doc.time) for doc in frames for face in faces.get(doc.id, [])]
