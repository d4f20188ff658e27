"""The models a query needs beyond the library: its CLIP encoder, and OCR to read query photos.

How they load (app/engines.py decides which, from the settings). A photo search from the command
line runs the image tower that `visearch index` exported to ONNX (`export_for_queries`),
so a fresh process does not spend ~4 s importing torch before it can answer.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from visearch.indexer.errors import ModelUnavailableError
from visearch.indexer.models.clip import ClipEncoder, cpu_has_native_bf16, parse_clip_spec
from visearch.indexer.models.ocr import OcrModel, create_ocr
from visearch.storage.library import CLIP_EXPORT, Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryModels:
    """What a query needs beyond the library: its CLIP encoder, and OCR to read query photos."""

    encoder: ClipEncoder
    ocr: OcrModel | None


def load_query_models(
    manifest, root: Path, ocr_name: str, *, eager: bool = False, exported: bool = False,
    threads: int = 0, device: str = "cpu",
) -> QueryModels:
    """The library's own encoder and the OCR `ocr_name` (app/engines.py decides which); `eager` loads the
    weights now, not on the first query. `exported` embeds photos with the library's ONNX export where it has a usable
    one (texts still load torch); `device` "cuda:N" runs torch's encoder there instead."""
    ocr = create_ocr(ocr_name)
    if ocr is not None and exported:  # a photo is coming: its OCR models load while CLIP's do (load() locks)
        threading.Thread(target=_preload, args=(ocr,), name="visearch-ocr-load", daemon=True).start()
    encoder = encoder_for_manifest(manifest, root, device=device)
    if exported and device == "cpu":
        encoder = exported_encoder(manifest, Path(root), encoder, threads)
    if eager:
        encoder.load()
        if ocr is not None:
            ocr.load()
    return QueryModels(encoder, ocr)


def _preload(model) -> None:
    try:
        model.load()
    except Exception:  # noqa: BLE001 - the query's own load() raises it again, with the caller to report it
        pass


def exported_encoder(manifest, root: Path, encoder: ClipEncoder, threads: int = 0):
    """The ONNX image tower for `encoder` if the library holds a loadable one, else `encoder`.

    The export computes in fp32, whatever precision built the library: bf16 and fp32 vectors agree to a
    cosine within 5e-5, which the lens forgives at its floor (lens/answer.py), so near-copies are
    found alike.
    """
    from visearch.indexer.models.clip_onnx import OnnxClipEncoder

    path = root / CLIP_EXPORT
    if not path.is_file():
        log.info("no %s in the library: photos are embedded with torch (`visearch index` writes it)", CLIP_EXPORT)
        return encoder
    onnx = OnnxClipEncoder(path, encoder, threads=threads)
    try:
        onnx.load()
    except ModelUnavailableError as exc:
        log.warning("%s; photos are embedded with torch", exc)
        return encoder
    log.info("photos are embedded by onnxruntime from %s", path)
    return onnx


def export_for_queries(library: Library, encoder: ClipEncoder) -> None:
    """Export the library's image tower for torch-free photo searches, unless it is there already.

    A failure costs only speed, so it is logged, never raised: the CLI then embeds with torch.
    """
    from visearch.indexer.models.clip_onnx import OnnxClipEncoder

    path = library.root / CLIP_EXPORT
    if path.is_file():
        try:
            OnnxClipEncoder(path, encoder).load()
            return
        except ModelUnavailableError as exc:
            log.info("exporting again: %s", exc)
    try:
        from visearch.indexer.models.clip_export import export_image_tower

        export_image_tower(encoder, path)
    except ModelUnavailableError as exc:  # a preprocessing the export does not reproduce
        log.info("photo searches from the command line will import torch: %s", exc)
    except Exception as exc:  # the exporter fails in many ways on unusual models; search still works
        log.warning("could not export the CLIP image tower to %s (%s): photo searches from the command line "
                    "will import torch", path, exc)


def encoder_for(library: Library, precision: str | None = None) -> ClipEncoder:
    """Rebuild the encoder that built a library, so queries land in the same vector space."""
    return encoder_for_manifest(library.manifest, library.root, precision)


def encoder_for_manifest(manifest, root, precision: str | None = None, device: str = "cpu") -> ClipEncoder:
    """The encoder a manifest names. Queries use the library's precision where this CPU runs it
    natively, else fp32 (bf16 and fp32 image vectors agree to cosine ≥ 0.999); on a GPU, its own."""
    if not manifest.clip:
        raise ValueError(f"the library at {root} has no encoder yet: index something first")
    if precision is None:
        precision = "auto" if device != "cpu" else \
            "bf16" if manifest.precision == "bf16" and cpu_has_native_bf16() else "fp32"
    # The manifest's spec was checked when the library was built: no registry import here, so a text
    # query on a library whose encoder is not semantic never imports torch.
    spec = parse_clip_spec(manifest.clip, manifest.clip_weights or None, check=False)
    return ClipEncoder(spec, precision=precision, device=device)
