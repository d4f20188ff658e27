"""Give a moment query's pictures and CLIP text their vectors, with the library's own encoder."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from visearch.errors import N_
from visearch.moments.query import Clause, MomentQuery, MomentQueryError


def picture_clause(path: Path, threshold: float | None = None) -> Clause:
    """An example-picture clause, its vector still to come (`encode`)."""
    return Clause("image", str(path), None, threshold)


def encode(library, query: MomentQuery, pictures: dict[str, object] | None,
           encoder: Callable[[], object]) -> MomentQuery:
    """Fill in the vectors of picture and CLIP-text clauses. `pictures` may hold decoded images by
    clause value (an upload); files are opened here, and one that is not a picture is named.
    `encoder()` gives the library's own encoder, loaded (called only when a clause needs it)."""
    needs = [c for c in query.clauses if c.kind in ("image", "clip_text") and c.vector is None]
    if not needs:
        return query
    manifest = library.manifest
    if not manifest.clip:
        raise MomentQueryError(N_("this library has no CLIP vectors: pictures and CLIP text cannot find moments in it"),
                               code="no_clip_vectors")
    if any(c.kind == "clip_text" for c in needs) and not manifest.semantic:
        raise MomentQueryError(N_("clip-text: this library's CLIP model (%(clip)s) does not understand words (no pretrained weights); search the words on screen with --text instead"),
                               code="clip_text_not_semantic", clip=manifest.clip)
    model = encoder()
    for clause in needs:
        if clause.kind == "image":
            import numpy as np

            from visearch.indexer.local_features import RootSift
            from visearch.lens.geometry import foreground_box
            from visearch.moments.pictures import features_json

            image = (pictures or {}).get(clause.value) or _open(Path(clause.value))
            clause.vector = [float(v) for v in model.encode_images([image])[0]]
            clause.features = features_json(RootSift().extract(image), image.size,
                                            foreground_box(np.asarray(image.convert("RGB"))))
            clause.value = Path(clause.value).name
        else:
            clause.vector = [float(v) for v in model.encode_texts([clause.value])[0]]
    return query


def _open(path: Path):
    from visearch.indexer.errors import MediaError
    from visearch.indexer.images import open_image

    if not path.is_file():
        raise MomentQueryError(N_("image: %(path)s: no such file"), code="query_image_missing", path=path)
    try:
        return open_image(path, fit_side=1024)
    except MediaError as exc:
        raise MomentQueryError(N_("image: %(path)s: %(exc)s"), code="query_image_unreadable", path=path,
                               exc=exc) from None
    except OSError as exc:
        raise MomentQueryError(N_("image: %(path)s: not a picture (%(exc)s)"), code="query_image_not_picture",
                               path=path, exc=exc) from None
