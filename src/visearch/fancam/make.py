"""`make_fancam`: from an indexed video and its people to a framed MP4 (one member, or a grid)."""
from __future__ import annotations

import time as clock
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from visearch.defaults import FANCAM_TOP
from visearch.errors import N_
from visearch.fancam.camera import CameraConfig, fill_gaps, extend_edges, frame_path
from visearch.search.details import find_video
from visearch.indexer.models.faces import face_backend
from visearch.fancam.cast import FancamError, cast
from visearch.fancam.focus import focus, in_tile
from visearch.fancam.follow import FollowConfig, follow
from visearch.fancam.render import add_audio, grid_layout, has_audio, render, staged
from visearch.storage.media import MediaUnavailable, video_file

MAX_HEIGHT = 2160
MAX_MEMBERS = 9


@dataclass(frozen=True)
class FancamRequest:
    video: str | int  # a path or a video id
    out: Path
    people: list[str] | None = None  # names or ids; None: the most seen
    grid: bool = False
    top: int = FANCAM_TOP
    aspect: float = 9 / 16
    height: int | None = None  # None: default_height
    captions: bool = True
    blur: float | None = None  # the focus-cam look: the stage behind the person blurred this much (0-1)


@dataclass
class FancamResult:
    path: Path
    video: str
    members: list[dict] = field(default_factory=list)  # person, name, share of frames seen
    start: float = 0.0
    end: float = 0.0
    frames: int = 0
    size: tuple[int, int] = (0, 0)
    audio: bool = False
    seconds: float = 0.0  # wall time to make it
    first_frame: int = 0
    paths: list[list] = field(default_factory=list, repr=False)  # each member's crop per output frame
    raw: list[list] = field(default_factory=list, repr=False)  # each member's face box per frame, gaps filled

    def json(self) -> dict:
        return {"path": str(self.path), "video": self.video, "members": self.members, "start": round(self.start, 3),
                "end": round(self.end, 3), "frames": self.frames, "size": list(self.size), "audio": self.audio,
                "seconds": round(self.seconds, 2)}


def default_height(video, grid: bool) -> int:
    """1280 px (a grid 720), but never taller than the video itself: scaling up adds bytes, not detail."""
    upright = video.width if video.rotation % 180 else video.height
    return max(240, min(720 if grid else 1280, upright or 1280))


def check_request(request: FancamRequest) -> None:
    if request.height is not None and not 64 <= request.height <= MAX_HEIGHT:
        raise FancamError(N_("height %(height)s: must be between 64 and %(max_height)s px"), code="fancam_height",
                          height=request.height, max_height=MAX_HEIGHT)
    if not 1 <= request.top <= MAX_MEMBERS or (request.people and len(request.people) > MAX_MEMBERS):
        raise FancamError(N_("a grid holds 1 to %(max_members)s people"), code="fancam_grid_size",
                          max_members=MAX_MEMBERS)
    if request.blur is not None and not 0 <= request.blur <= 1:
        raise FancamError(N_("blur %(blur)s: must be between 0 and 1"), code="fancam_blur", blur=request.blur)
    if request.out.suffix.lower() != ".mp4":
        raise FancamError(N_("%(out)s: a fancam is an MP4 file; name it .mp4"), code="fancam_not_mp4",
                          out=request.out)


def make_fancam(library, request: FancamRequest, *, model=None, people=None,
                progress: Callable[[float], None] | None = None) -> FancamResult:
    """Follow the people through the video and render their fancam (or the grid of them); `people`, the
    person model, for `request.blur`."""
    started = clock.monotonic()
    check_request(request)
    if request.blur and people is None:
        raise FancamError(N_("the background blur needs the person model: `visearch models fetch`"),
                          code="fancam_blur_no_model")
    video = find_video(library, request.video)
    if request.height is None:
        request = replace(request, height=default_height(video, request.grid))
    try:
        source, _ = video_file(library, video.id)
    except MediaUnavailable as exc:
        raise FancamError.like(exc) from None
    members = cast(library, video, request.people, request.top if request.grid else 1)
    if not request.grid:
        members = members[:1]
    backend = face_backend(library.manifest.faces)
    model = model or backend()
    report = progress or (lambda share: None)
    out = request.out.expanduser().absolute()
    with staged(out) as staging:
        followed = follow(source, members, model, backend.suggest_distance, [s for s, _ in video.shots] or [0.0],
                          rotation=video.rotation, progress=lambda share: report(0.4 * share))
        never = [m.name for m, seen in zip(members, followed.seen) if not seen]
        if never:
            raise FancamError(N_("%(never)s: not found in %(name)s (looked %(detect_fps)s times a second through %(times)s s)"),
                              code="fancam_person_not_found", never=', '.join(never), name=Path(video.path).name,
                              detect_fps=f'{FollowConfig().detect_fps:g}', times=f'{followed.times[-1]:.0f}')
        first, last = _span(followed, [i for seen in followed.seen for i in seen])
        layout = grid_layout(len(members), request.aspect, request.height) if request.grid else \
            grid_layout(1, request.aspect, request.height)
        faces = [_faces(seen, followed, first, last) for seen in followed.seen]
        paths = [_camera(track, followed, first, last, request.aspect) for track in faces]
        audio = has_audio(source)
        names = [m.name for m in members]
        picture = staging.with_name(staging.name.replace(".part.mp4", ".picture.mp4")) if audio else staging
        try:
            start = render(source, video.rotation, first, last, paths, names, layout, picture,
                           captions=request.captions and request.grid,
                           progress=lambda share: report(0.4 + 0.55 * share),
                           finish=_focused(request.blur, people, faces, paths, layout.tile))
            if audio:
                add_audio(picture, source, start, staging)
        finally:
            if audio:
                picture.unlink(missing_ok=True)
    report(1.0)
    frames = last - first + 1
    return FancamResult(
        out, video.path,
        [{"person": m.person, "name": m.name, "seen": round(sum(b is not None for b in track) / frames, 3)}
         for m, track in zip(members, faces)],
        followed.times[first], followed.times[last] + 1 / followed.fps, frames, layout.size, audio,
        clock.monotonic() - started, first, paths, faces)


def _focused(strength: float | None, people, faces: list, paths: list, tile: tuple[int, int]):
    """The focus-cam blur of each member's picture, or None without `strength`."""
    if not strength:
        return None

    def finish(pixels, member: int, frame: int):
        face = faces[member][frame]
        return focus(pixels, people, None if face is None else in_tile(face, paths[member][frame].box, tile), strength)

    return finish


def _span(followed, seen: list[int]) -> tuple[int, int]:
    """From a second before anyone is first seen to a second after anyone is last seen."""
    pad = round(followed.fps)
    return max(0, min(seen) - pad), min(len(followed.times) - 1, max(seen) + pad)


def _faces(seen: dict, followed, first: int, last: int) -> list:
    """The face box in frames `first`..`last`: sightings, bridged across short gaps, held until the
    next look, and held from the start to the first sighting and from the last one to the end."""
    look = max(1, round(followed.fps / FollowConfig().detect_fps))
    cuts = followed.cuts
    faces = fill_gaps(seen, len(followed.times), cuts, followed.fps, CameraConfig().hold, followed.size[0])
    faces = extend_edges(faces, cuts, look)[first:last + 1]
    known = [i for i, box in enumerate(faces) if box is not None]
    if known:
        head, tail = known[0], known[-1]
        faces[:head] = [faces[head]] * head
        faces[tail + 1:] = [faces[tail]] * (len(faces) - tail - 1)
    return faces


def _camera(faces: list, followed, first: int, last: int, aspect: float) -> list:
    inside = {c - first for c in followed.cuts if first < c <= last}
    return frame_path(faces, followed.size, followed.fps, inside, CameraConfig(aspect=aspect))


__all__ = ["FancamError", "FancamRequest", "FancamResult", "make_fancam"]
