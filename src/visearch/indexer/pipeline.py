"""Reader → mapper → writer for images: decode and OCR in worker threads, CLIP in batches.

Workers run ahead of the encoder by a bounded window, so decoding batch N+1 and
reading its text overlaps with encoding batch N, and memory stays bounded.
A file that fails comes out as a `Failure` and the run goes on.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from visearch.errors import N_
from visearch.indexer.errors import MediaError, UnsupportedMediaError
from visearch.indexer.images import DEFAULT_MAX_PIXELS, make_thumbnail, open_image
from visearch.indexer.models.clip import ClipEncoder
from visearch.indexer.models.faces import FaceModel
from visearch.indexer.models.ocr import OcrModel
from visearch.indexer.records import Failure, ImageRecord, SourceFile
from visearch.indexer.sniff import MediaKind, sniff_bytes
from visearch.indexer.taken import photo_taken


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineConfig:
    batch_size: int = 16
    workers: int = 2
    lookahead_batches: int = 2
    max_pixels: int = DEFAULT_MAX_PIXELS
    thumbnail_size: int = 256
    decode_on_device: bool = False  # plain JPEGs decoded in batches on the encoder's device (indexer/batch_decode.py)


@dataclass
class StageTimes:
    """Seconds spent per stage, summed over worker threads; for benchmarks and the run summary."""

    read: float = 0.0
    decode: float = 0.0
    ocr: float = 0.0
    faces: float = 0.0
    encode: float = 0.0
    images: int = 0
    batches: int = 0

    def add(self, other: "StageTimes") -> None:
        self.read += other.read
        self.decode += other.decode
        self.ocr += other.ocr
        self.faces += other.faces


@dataclass
class _Prepared:
    record: ImageRecord
    pixels: object  # torch tensor; None while a JPEG waits for the batched decode
    times: StageTimes = field(default_factory=StageTimes)
    data: bytes = b""  # the file, kept only for the batched decode
    sniffed: tuple = ()


class ImagePipeline:
    def __init__(
        self,
        encoder: ClipEncoder,
        ocr: OcrModel | None = None,
        config: PipelineConfig = PipelineConfig(),
        faces: FaceModel | None = None,
        local_features=None,
    ):
        self.encoder = encoder
        self.ocr = ocr
        self.faces = faces
        self.local_features = local_features
        self.config = config
        self.times = StageTimes()

    def run(self, sources: Iterable[SourceFile]) -> Iterator[ImageRecord | Failure]:
        """Yield one record or failure per source, in input order."""
        window = self.config.batch_size * max(1, self.config.lookahead_batches)
        pending: deque[tuple[SourceFile, Future]] = deque()
        batch: list[_Prepared] = []
        sources = iter(sources)
        with ThreadPoolExecutor(self.config.workers, thread_name_prefix="visearch-decode") as pool:
            while True:
                while len(pending) < window:
                    source = next(sources, None)
                    if source is None:
                        break
                    pending.append((source, pool.submit(self._prepare, source)))
                if not pending:
                    break
                source, future = pending.popleft()
                try:
                    prepared = future.result()
                except MediaError as exc:
                    yield Failure(source.path, exc.reason)
                    continue
                except Exception as exc:  # a decoder bug must not end the run either
                    yield Failure(source.path, f"unexpected error: {exc.__class__.__name__}: {exc}")
                    continue
                self.times.add(prepared.times)
                batch.append(prepared)
                if len(batch) >= self.config.batch_size:
                    yield from self._encode(batch)
                    batch = []
            if batch:
                yield from self._encode(batch)

    def _prepare(self, source: SourceFile) -> _Prepared:
        times = StageTimes()
        started = time.perf_counter()
        try:
            data = source.path.read_bytes()
        except OSError as exc:
            raise MediaError(source.path, N_("cannot read: %(detail)s"), code="file_not_readable",
                             detail=exc.strerror or exc) from None
        if not data:
            raise MediaError(source.path, N_("empty file (0 bytes)"), code="file_empty")
        sniffed = sniff_bytes(data[:64])
        if sniffed is None or sniffed[0] is not MediaKind.IMAGE:
            raise UnsupportedMediaError(source.path, N_("a video") if sniffed else N_("not an image (unrecognised content)"),
                                        code="not_an_image")
        sha256 = source.sha256 or hashlib.sha256(data).hexdigest()
        times.read = time.perf_counter() - started
        source = SourceFile(source.path, source.size, source.mtime_ns, sha256)
        size = self._device_size(data)
        if size is not None:  # CLIP only, a plain JPEG: decoded with its batch, on the device
            record = ImageRecord(source=source, format=sniffed[1], width=size[0], height=size[1],
                                 taken=photo_taken(data))
            return _Prepared(record, None, times, data, sniffed)
        return self._decode(source, data, sniffed, times)

    def _device_size(self, data: bytes) -> tuple[int, int] | None:
        """The picture's size when it may take the batched device decode, else None."""
        if not self.config.decode_on_device or self.ocr or self.faces or self.local_features:
            return None
        from visearch.indexer.batch_decode import device_decodable

        size = device_decodable(data)
        return size if size is not None and size[0] * size[1] <= self.config.max_pixels else None

    def _decode(self, source: SourceFile, data: bytes, sniffed: tuple, times: StageTimes) -> _Prepared:
        """Pillow's path: decode, CLIP's crop, thumbnail, and the CPU models (OCR, keypoints, faces)."""
        started = time.perf_counter()
        # Without OCR or faces only CLIP's input size (or the local features' ~800 px) is needed,
        # so JPEGs can decode at a reduced DCT scale.
        draft = None if self.ocr or self.faces else (600 if self.local_features else self.encoder.image_size)
        image = open_image(source.path, data, max_pixels=self.config.max_pixels, draft_size=draft)
        small = self.encoder.resize_for_model(image)  # resampled once, for CLIP and the thumbnail
        pixels = self.encoder.prepare(small)
        thumbnail = make_thumbnail(small if max(small.size) >= self.config.thumbnail_size else image,
                                   self.config.thumbnail_size)
        times.decode = time.perf_counter() - started

        lines, features, faces = [], None, []
        if self.ocr is not None:
            started = time.perf_counter()
            lines = _optional(source, "OCR", self.ocr.read, image, [])
            times.ocr = time.perf_counter() - started
        if self.local_features is not None:
            features = _optional(source, "local features", self.local_features.extract, image, None)
        if self.faces is not None:
            started = time.perf_counter()
            faces = _optional(source, "face detection", self.faces.detect, image, [])
            times.faces = time.perf_counter() - started
        width, height = image.info.get("original_size", image.size)
        record = ImageRecord(
            source=source,
            taken=photo_taken(data),
            format=sniffed[1],
            width=width,
            height=height,
            ocr=lines,
            thumbnail=thumbnail,
            faces=faces,
            features=features,
        )
        return _Prepared(record, pixels, times)

    def _encode(self, batch: list[_Prepared]) -> Iterator[ImageRecord | Failure]:
        import torch

        failed = self._decode_on_device(batch)
        ready = [item for item in batch if item.pixels is not None]
        started = time.perf_counter()
        vectors = iter(self.encoder.encode_pixels(torch.stack([item.pixels for item in ready])) if ready else [])
        self.times.encode += time.perf_counter() - started
        self.times.images += len(ready)
        self.times.batches += 1
        for item in batch:  # in input order
            if item.pixels is None:
                yield failed[id(item)]
                continue
            item.record.embedding = next(vectors)
            yield item.record

    def _decode_on_device(self, batch: list[_Prepared]) -> dict[int, Failure]:
        """Decode the batch's waiting JPEGs together on the encoder's device; one that fails there takes
        Pillow's path alone (and is named if that fails too)."""
        waiting = [item for item in batch if item.pixels is None]
        if not waiting:
            return {}
        from visearch.indexer.batch_decode import decode_batch

        started = time.perf_counter()
        decoded = decode_batch([item.data for item in waiting], self.encoder.device, self.encoder.image_size,
                               self.config.thumbnail_size)
        self.times.decode += time.perf_counter() - started
        failures = {}
        for item, result in zip(waiting, decoded):
            if result is not None:
                item.pixels, item.record.thumbnail, item.data = result.crop, result.thumbnail, b""
                continue
            try:
                again = self._decode(item.record.source, item.data, item.sniffed, StageTimes())
            except MediaError as exc:
                failures[id(item)] = Failure(item.record.source.path, exc.reason)
                continue
            item.pixels, item.record = again.pixels.to(self.encoder.device), again.record
        return failures


def _optional(source: SourceFile, what: str, step, image, fallback):
    """An extra reading of an image (OCR, faces, keypoints) that fails costs only itself: the
    image keeps its CLIP vector and document, and the log names the file and the reason."""
    try:
        return step(image)
    except Exception as exc:  # noqa: BLE001 - a model's failure on one image must not drop the image
        log.warning("%s: %s failed, indexed without it (%s: %s)", source.path, what, exc.__class__.__name__, exc)
        return fallback
