"""Opening what a use case runs on, from the settings: the one door the CLI, the web app, the cut-out and
the benches use to get a search engine or the models of an index run.

Each rule lives here once: where CLIP runs for a purpose (`device_for`), which OCR reads (`ocr_for`), and
whether a photo query embeds with the library's ONNX export (a fresh process then never imports torch).
"""
from __future__ import annotations

from visearch.app.library import open_library
from visearch.app.settings import Settings
from visearch.indexer.errors import ModelUnavailableError
from visearch.defaults import DEFAULT_OCR
from visearch.search.engine import SearchEngine
from visearch.search.query_models import QueryModels, load_query_models
from visearch.storage.library import Library

QUERY, INDEX = "query", "index"


def device_for(settings: Settings, purpose: str) -> str:
    """Where CLIP runs: an index run takes the GPU `auto` finds; a query stays on the CPU unless a GPU is named
    (one photo at a time gains little from a GPU, and a text query must not import torch to look for one)."""
    from visearch.indexer.models.devices import resolve_device

    if purpose == QUERY and settings.device in ("auto", "cpu", ""):
        return "cpu"
    return resolve_device(settings.device)


def ocr_for(requested: str | None, built_with: str | None) -> str:
    """The OCR that reads: the one asked for, else the one the library was built with (so a second run or a
    query photo reads as the first did), else the default."""
    return requested or built_with or DEFAULT_OCR


def clip_to_index(settings: Settings) -> tuple[str, ModelUnavailableError | None]:
    """The default CLIP model when its weights are here or can be downloaded, else the offline `tiny` one and
    why the default could not be had (the demo says so in plain words)."""
    from visearch.indexer.models.clip import DEFAULT_CLIP, parse_clip_spec
    from visearch.indexer.models.clip_weights import resolve_checkpoint

    try:
        resolve_checkpoint(parse_clip_spec(DEFAULT_CLIP), offline=settings.offline)
        return DEFAULT_CLIP, None
    except ModelUnavailableError as exc:
        return "tiny", exc


def query_models(settings: Settings, manifest, root, *, ocr: str | None = None, photo: bool = False,
                 eager: bool = False) -> QueryModels:
    """The library's own encoder and OCR for queries, per the settings (`photo`: a photo is coming, so the ONNX
    image tower is used where the library has one; `eager`: load the weights now)."""
    return load_query_models(manifest, root, ocr_for(ocr, manifest.ocr), eager=eager, exported=photo,
                             threads=settings.threads, device=device_for(settings, QUERY))


def open_engine(settings: Settings, *, ocr: str | None = None, photo: bool = False,
                library: Library | None = None) -> SearchEngine:
    """A search engine over the settings' library (opened read-only, unless `library` is given); its owner
    closes it (`engine.close()`, then `engine.library.close()`)."""
    library = library or open_library(settings, read_only=True)
    return engine_for(library, query_models(settings, library.manifest, library.root, ocr=ocr, photo=photo))


def engine_for(library: Library, models: QueryModels) -> SearchEngine:
    """An engine over an open library with models already loaded (the web app keeps one set per process)."""
    return SearchEngine(library, models.encoder, models.ocr)
