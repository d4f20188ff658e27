"""Export a CLIP encoder's image tower to ONNX, where torch is loaded anyway (`visearch index`).

The graph takes `prepare`'s uint8 crops and returns unit vectors, so its user needs
nothing but numpy, Pillow and onnxruntime (`clip_onnx`). It is fp32 whatever the
encoder's precision: bf16 and fp32 image vectors agree to a cosine ≥ 0.999.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import torch

from visearch.indexer.models.clip import ClipEncoder
from visearch.indexer.models.clip_onnx import IDENTITY_KEY

OPSET = 17  # LayerNormalization as one node


class ImageTower(torch.nn.Module):
    """uint8 (N, 3, S, S) crops → normalised pixels → the visual tower → unit vectors."""

    def __init__(self, visual: torch.nn.Module, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.visual = visual
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        features = self.visual((pixels.float() - self.mean) / self.std)
        return features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def export_image_tower(encoder: ClipEncoder, path: Path) -> None:
    """Write the encoder's image tower to `path`, tagged with its identity; all or nothing."""
    import onnx

    tower = ImageTower(*encoder.image_tower())
    size = encoder.image_size
    example = torch.zeros(1, 3, size, size, dtype=torch.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation; it needs no onnxscript
            torch.onnx.export(tower, (example,), str(temporary), dynamo=False, opset_version=OPSET,
                              input_names=["pixels"], output_names=["vectors"],
                              dynamic_axes={"pixels": {0: "batch"}, "vectors": {0: "batch"}})
        # The identity tag, appended as a message of its own: protobuf merges concatenated messages, so readers
        # (onnx, onnxruntime) see one model with it, and the 350 MB graph is not parsed and written again.
        tag = onnx.ModelProto()
        tag.metadata_props.add(key=IDENTITY_KEY, value=encoder.identity)
        with open(temporary, "ab") as handle:
            handle.write(tag.SerializeToString())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
