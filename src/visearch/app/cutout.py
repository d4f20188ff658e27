"""Cut-outs (누끼): the one door for `visearch cutout`, POST /api/cutout and bench/cutout_eval.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.indexer.images import Box, fit_box
from visearch.app.models import NOT_INSTALLED
from visearch.cutout.blur import portrait
from visearch.cutout.grabcut import Cutout, cut_out
from visearch.cutout.people import cut_person
from visearch.app.searching import QueryPhoto, frame_photo, open_photo


def source_photo(library, *, photo: Path | QueryPhoto | None = None, frame: str | None = None) -> QueryPhoto:
    """The picture to cut from: a photo (a file or an upload already read) or a video's frame at full resolution."""
    if (photo is None) == (frame is None):
        raise InvalidInput(N_("give one picture: a photo or a frame (VIDEO@SECONDS)"), code="cutout_needs_picture")
    if frame is not None:
        if library is None:
            raise InvalidInput(N_("frame: needs a library that indexed the video"), code="frame_needs_library")
        return frame_photo(library, frame)[0]
    return photo if isinstance(photo, QueryPhoto) else open_photo(Path(photo))


def reference_image(library, item_id: int):
    """The catalogue image the lens matched, whose own shape seeds a product's cut; None when it cannot be read."""
    from visearch.indexer.errors import MediaError
    from visearch.indexer.images import open_image
    from visearch.search.details import NotFoundError

    doc = library.docs.get([item_id]).get(item_id)
    if doc is None:
        raise NotFoundError(N_("no item %(item_id)s"), code="item_missing", item_id=item_id)
    try:
        return open_image(Path(doc.path))
    except (MediaError, OSError):
        return None


@dataclass(frozen=True)
class Done:
    """A cut-out (or a blurred photo) and what the user should know of how it was made."""

    cutout: Cutout | None  # the object lifted (None for a blurred photo)
    image: object  # PIL image: the cut-out's, or the whole photo with its background blurred
    notices: list[str] = field(default_factory=list)


def cutout(picture: QueryPhoto, *, box: Box | None = None, outline: Sequence[Sequence[float]] | None = None,
           reference=None, background: str | None = None, person: bool = False, people=None,
           blur: float | None = None) -> Done:
    """The object in the picture, seeded by the lens's verified outline or a box (both in the picture's own
    pixels); `person`: the person there, by the person model (`people`, from app/models.py; GrabCut where it
    is not installed). With `blur` (0..1) the whole picture comes back, its background blurred by distance
    from the object. A picture over the query size is cut at that size and its positions scaled to it."""
    scale = picture.scale
    if box is not None:
        box = tuple(v * scale for v in fit_box(box, *picture.size))
    if outline is not None:  # a product partly out of the picture has corners outside it: they are kept
        points = [(float(x), float(y)) for x, y in outline]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        fit_box((min(xs), min(ys), max(xs), max(ys)), *picture.size)  # BadBox when it misses the picture
        outline = [(x * scale, y * scale) for x, y in points]
    notices = []
    if person and people is not None and outline is None:
        done = cut_person(picture.image, people, box=box, background=None if blur is not None else background)
    else:
        if person and outline is None:
            notices.append(NOT_INSTALLED)
        done = cut_out(picture.image, box=box, outline=outline, reference=reference,
                       background=None if blur is not None else background)
    if blur is None:
        return Done(done, done.image, notices)
    return Done(None, portrait(picture.image, _alpha(done, picture.image.size), blur), notices)


def _alpha(done: Cutout, size: tuple[int, int]) -> np.ndarray:
    """A cut-out's alpha placed back on the whole picture (0..1)."""
    alpha = np.zeros((size[1], size[0]), np.float32)
    x0, y0, x1, y1 = done.box
    alpha[y0:y1, x0:x1] = np.asarray(done.image.split()[3], np.float32) / 255.0
    return alpha


def encoded(done: Done, suffix: str = ".png") -> bytes:
    """The result as a file's bytes: PNG (a cut-out keeps its transparency), or JPEG for a blurred photo."""
    import io

    out = io.BytesIO()
    if suffix in (".jpg", ".jpeg") and done.cutout is None:
        done.image.convert("RGB").save(out, format="JPEG", quality=92)
    else:
        done.image.save(out, format="PNG")
    return out.getvalue()
