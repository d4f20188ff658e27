"""CLIP photo embedding through onnxruntime: a photo search in a fresh process without torch.

Importing torch and open_clip takes ~4 s on two cores, longer than the whole lens query.
`visearch index` exports the library's image tower once (`clip_export`), and a command-line
photo search runs it here with numpy preprocessing. Texts still go to the torch encoder,
which loads only if a text is embedded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError
from visearch.indexer.models.base import InferenceModel
from visearch.indexer.models.clip import ClipEncoder, centre_crop, shortest_side_resize

#: ONNX metadata key holding the encoder identity the graph was exported from.
IDENTITY_KEY = "visearch.clip_identity"


class OnnxClipEncoder(InferenceModel):
    """The `ClipEncoder` interface with the image tower run by onnxruntime.

    `encoder` is the torch encoder the export came from: it gives the identity
    and embeds texts. Loading fails with ModelUnavailableError when the file is
    unreadable or holds another model, so a caller can fall back to `encoder`.
    """

    kind = "clip"

    def __init__(self, path: Path, encoder: ClipEncoder, *, threads: int = 0) -> None:
        super().__init__()
        self.path = Path(path)
        self.encoder = encoder
        self.threads = threads  # 0: onnxruntime's choice
        self._session = None

    @property
    def identity(self) -> str:
        return self.encoder.identity

    @property
    def semantic(self) -> bool:
        return self.encoder.semantic

    @property
    def spec(self):
        return self.encoder.spec

    @property
    def precision(self) -> str:
        return "fp32"

    @property
    def dim(self) -> int:
        self.load()
        return int(self._session.get_outputs()[0].shape[1])

    @property
    def image_size(self) -> int:
        self.load()
        return int(self._session.get_inputs()[0].shape[2])

    def _load(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        try:
            session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for missing and damaged files
            raise ModelUnavailableError(N_("%(path)s: not a readable ONNX model (%(exc)s)"), code="onnx_unreadable",
                                        path=self.path, exc=exc) from None
        exported = session.get_modelmeta().custom_metadata_map.get(IDENTITY_KEY)
        if exported != self.identity:
            raise ModelUnavailableError(N_("%(path)s holds %(value)s, not this library's %(identity)s: `visearch index` exports it again"),
                                        code="onnx_export_stale", path=self.path,
                                        value=exported or 'an unknown model', identity=self.identity)
        self._session = session

    def _close(self) -> None:
        self._session = None
        self.encoder.close()

    def encode_images(self, images: Sequence) -> np.ndarray:
        self.load()
        if not images:
            return np.zeros((0, self.dim), np.float32)
        size = self.image_size
        pixels = np.stack([centre_crop(shortest_side_resize(image, size), size) for image in images])
        (vectors,) = self._session.run(None, {self._session.get_inputs()[0].name: pixels})
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_texts(texts)
