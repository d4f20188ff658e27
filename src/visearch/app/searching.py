"""Search by photo and by text: the one door for the CLI (in process or through `serve`), the web and the benches.

A query photo is decoded one way whoever sends it: judged by content, capped in pixels, and
decoded at most QUERY_SIDE px long (a 36-megapixel phone photo at reduced DCT scale). A box is
always in the photo's *own* pixels, as the user saw it, and so is every position in the answer
(`query.size`, `query.box`, the outlines of verified products, the suggested boxes): the scale
between the photo and the pixels searched is applied here and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from visearch.defaults import MAX_TEXT, QUERY_SIDE
from visearch.indexer.errors import ImageTooLargeError, InvalidInput, MediaError
from visearch.indexer.images import Box, fit_box, open_image, scale_box
from visearch.errors import N_
from visearch.indexer.sniff import MediaKind, sniff_bytes

MAX_QUERY_PIXELS = 60_000_000


class BadPhoto(InvalidInput):
    """A query photo that is not an image, is empty or damaged (413 when `too_large`): "NAME: REASON"."""

    def __init__(self, name: str, reason: str, /, code: str = "photo_invalid", too_large: bool = False,
                 **values) -> None:
        self.name, self.too_large = str(name), too_large
        super().__init__(reason, code=code, **values)

    def format(self, translate=str) -> str:
        return f"{self.name}: {super().format(translate)}"


@dataclass(frozen=True)
class QueryPhoto:
    """A decoded query photo: `image` at most QUERY_SIDE px long, `size` the photo's own (upright) pixels."""

    image: object  # PIL.Image, RGB
    size: tuple[int, int]
    name: str = "photo"

    @property
    def scale(self) -> float:
        """Searched pixels per photo pixel (1.0 for a photo that was not shrunk)."""
        return self.image.width / max(1, self.size[0])


def read_photo(name: str, data: bytes, *, max_pixels: int = MAX_QUERY_PIXELS) -> QueryPhoto:
    """Bytes of a photo (a file, an upload) → a QueryPhoto, or BadPhoto naming `name` and the reason."""
    from PIL import Image

    if not data:
        raise BadPhoto(name, N_("the file is empty"), code="file_empty")
    sniffed = sniff_bytes(data[:64])
    if sniffed is None or sniffed[0] is not MediaKind.IMAGE:
        raise BadPhoto(name, N_("not an image (JPEG, PNG, WebP, GIF, TIFF or BMP expected)"), code="not_an_image")
    try:
        image = open_image(Path(name), data, max_pixels=max_pixels, fit_side=QUERY_SIDE)
    except ImageTooLargeError as exc:
        raise BadPhoto(name, exc.template, code=exc.code, too_large=True, **exc.values) from None
    except MediaError as exc:
        raise BadPhoto(name, exc.template, code=exc.code, **exc.values) from None
    size = tuple(image.info.get("original_size") or image.size)
    if max(image.size) > QUERY_SIDE:
        image = image.copy()
        image.thumbnail((QUERY_SIDE, QUERY_SIDE), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return QueryPhoto(image, (int(size[0]), int(size[1])), name)


def open_photo(path: Path) -> QueryPhoto:
    """A query photo from a file: BadPhoto (naming it) when it is missing, a folder or unreadable."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise BadPhoto(path, N_("is a folder; give one photo"), code="file_is_folder")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadPhoto(path, N_("the file does not exist"), code="file_missing") from None
    except OSError as exc:
        raise BadPhoto(path, N_("cannot read it (%(detail)s)"), code="file_not_readable",
                       detail=exc.strerror or exc) from None
    return read_photo(str(path), data)


def search_photo(engine, photo: QueryPhoto, *, box: Box | None = None, k: int = 10, suggest: bool = False,
                 products_only: bool = False) -> dict:
    """The lens over `photo` (or its boxed region: in the photo's own pixels): the JSON answer."""
    scale = photo.scale
    searched = None
    if box is not None:
        box = fit_box(box, *photo.size)
        searched = scale_box(box, scale)
    answer = engine.search_image(photo.image, box=searched, k=k, suggest=suggest, products_only=products_only).to_json()
    if scale != 1.0:
        to_photo(answer, 1.0 / scale)
    answer["query"]["size"] = list(photo.size)
    answer["query"]["box"] = [round(v, 1) for v in box] if box is not None else None
    return answer


def frame_photo(library, moment: str) -> tuple[QueryPhoto, dict]:
    """`VIDEO@SECONDS` → the frame at full resolution as a query photo, and where it came from."""
    from visearch.search.details import find_video
    from visearch.search.frames import frame_at, parse_moment

    key, seconds = parse_moment(moment)
    video = find_video(library, key)
    image = frame_at(Path(video.path), seconds, duration=video.duration, rotation=video.rotation)
    size = image.size
    if max(size) > QUERY_SIDE:
        image = image.copy()
        image.thumbnail((QUERY_SIDE, QUERY_SIDE))
    return QueryPhoto(image, size, f"{Path(video.path).name}@{seconds:.3f}"), \
        {"video": video.path, "video_id": video.id, "time": round(seconds, 3)}


def search_frame(engine, moment: str, *, box: Box | None = None, k: int = 10) -> dict:
    """Shop the moment: the catalogue products in a video's frame (or the boxed part of it), exact, similar or
    none, as the lens answers a photo; the frame is decoded from the original at full resolution."""
    photo, source = frame_photo(engine.library, moment)
    answer = search_photo(engine, photo, box=box, k=k, suggest=True, products_only=True)
    if box is None and answer["match"] != "exact":
        answer = closer_look(engine, photo, answer, k=k)
    answer["query"]["frame"] = source
    return answer


CLOSER_LOOKS = 3  # suggested boxes searched on their own when a whole frame finds no exact product


def closer_look(engine, photo: QueryPhoto, answer: dict, *, k: int) -> dict:
    """A small product in a wide frame (a drink in a hand) is drowned by the rest of the picture: search the
    first suggested boxes on their own, and answer with the first that finds an exact product (its box
    becomes the query's, so the page shows where it looked)."""
    for suggestion in (answer["query"].get("suggestions") or [])[:CLOSER_LOOKS]:
        closer = search_photo(engine, photo, box=suggestion["box"], k=k, products_only=True)
        if closer["match"] == "exact":
            closer["query"]["suggestions"] = answer["query"]["suggestions"]
            closer["notices"] = [*closer.get("notices", []), N_("No product was sure in the whole frame; "
                                                                "this one was found in a suggested box.")]
            return closer
    return answer


def to_photo(answer: dict, factor: float) -> None:
    """Positions in a lens answer (outlines, suggestions) from the searched pixels to the photo's own. Pure."""
    for result in answer["results"]:
        local = result["evidence"].get("local")
        if local:
            local["polygon"] = [[round(x * factor, 1), round(y * factor, 1)] for x, y in local["polygon"]]
            local["box"] = [round(v * factor, 1) for v in local["box"]]
    for suggestion in answer["query"].get("suggestions") or []:
        suggestion["box"] = [round(v * factor, 1) for v in suggestion["box"]]


def search_text(engine, text: str, *, k: int = 10) -> dict:
    """Words on packages, signs and catalogue rows (and CLIP text where the encoder is semantic)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(N_("text: give the words to search for"), code="text_missing")
    if len(text) > MAX_TEXT:
        raise InvalidInput(N_("text: at most %(max_text)s characters"), code="text_too_long", max_text=MAX_TEXT)
    return engine.search_text(text, k=k).to_json()


def similar(engine, item_id: int, *, k: int = 10) -> dict:
    """Near-copies and look-alikes of an indexed item."""
    from visearch.search.details import NotFoundError

    if not engine.library.docs.get([item_id]):
        raise NotFoundError(N_("no item %(item_id)s"), code="item_missing", item_id=item_id)
    return engine.similar(item_id, k=k).to_json()


def search_library(settings, *, text: str | None = None, photo: QueryPhoto | None = None, box: Box | None = None,
                   k: int = 10, ocr: str | None = None, frame: str | None = None) -> dict:
    """One search in this process over the settings' library, with its own models (a photo: its ONNX export
    where it has one), opened and closed around it: `visearch search` without a server, and the demo."""
    from visearch.app.engines import open_engine

    engine = open_engine(settings, ocr=ocr, photo=photo is not None or frame is not None)
    try:
        if frame is not None:
            return search_frame(engine, frame, box=box, k=k)
        if photo is not None:
            return search_photo(engine, photo, box=box, k=k)
        return search_text(engine, text, k=k)
    finally:
        engine.close()
        engine.library.close()
