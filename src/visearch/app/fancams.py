"""A fancam request, whoever makes it: the CLI at once, the web as a background job."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from visearch.defaults import FANCAM_ASPECT, FANCAM_TOP
from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.search import details
from visearch.fancam.camera import parse_aspect
from visearch.fancam.make import FancamRequest, FancamResult, make_fancam


def fancam_request(library, video: str | int, out: Path, *, person: str | int | None = None,
                   people: Sequence[str | int] | None = None, grid: bool = False, top: int = FANCAM_TOP,
                   aspect: str = FANCAM_ASPECT, height: int | None = None, captions: bool = True,
                   blur: float | None = None) -> FancamRequest:
    """A checked request: the video and every person named exist (NotFoundError otherwise), one person or
    a grid; the height defaults to the video's own, at most 1280 (a grid 720) (fancam/make.py)."""
    if grid == (person is not None):
        raise InvalidInput(N_("person: give one person to follow, or a grid (with people or top)"),
                           code="fancam_needs_person")
    if people and not grid:
        raise InvalidInput(N_("people: goes with a grid; for one person give person"),
                           code="fancam_people_needs_grid")
    found = details.find_video(library, video)
    chosen = [person] if person is not None else list(people or [])
    from visearch.app.people import resolve

    keys = [str(resolve(library, key)) for key in chosen]
    return FancamRequest(found.id, Path(out), keys or None, grid, top, parse_aspect(aspect), height, captions, blur)


def make(library, request: FancamRequest, progress: Callable[[float], None] | None = None, *,
         people=None) -> FancamResult:
    """Make it; `people` (app/models.person_model) for the focus-cam blur, which fails without it."""
    return make_fancam(library, request, people=people, progress=progress)
