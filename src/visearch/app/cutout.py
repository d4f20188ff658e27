"""Cut-outs (누끼): the one door for `visearch cutout`, POST /api/cutout and bench/cutout_eval.py."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.indexer.images import Box, fit_box
from visearch.cutout.grabcut import Cutout, cut_out
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


def cutout(picture: QueryPhoto, *, box: Box | None = None, outline: Sequence[Sequence[float]] | None = None,
           reference=None, background: str | None = None) -> Cutout:
    """The object in the picture, seeded by the lens's verified outline or a box (both in the picture's own
    pixels); a picture over the query size is cut at that size and its positions scaled to it."""
    scale = picture.scale
    if box is not None:
        box = tuple(v * scale for v in fit_box(box, *picture.size))
    if outline is not None:  # a product partly out of the picture has corners outside it: they are kept
        points = [(float(x), float(y)) for x, y in outline]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        fit_box((min(xs), min(ys), max(xs), max(ys)), *picture.size)  # BadBox when it misses the picture
        outline = [(x * scale, y * scale) for x, y in points]
    return cut_out(picture.image, box=box, outline=outline, reference=reference, background=background)
