"""CLIP image/text encoder on open_clip, with weights found before anything hangs.

Spec strings: `ViT-B-32:laion2b_s34b_b79k` (architecture + pretrained tag),
`ViT-B-32:random` (the real architecture with seeded random weights, for
benchmarks) and `tiny` (a small built-in architecture with seeded random
weights, for tests and offline smoke runs). Random-weight encoders are not
*semantic*: their vectors find near-duplicates but do not understand text.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from visearch.errors import N_, InvalidInput
from visearch.indexer.errors import ModelUnavailableError, UnknownModelError
from visearch.indexer.models.base import InferenceModel
from visearch.indexer.models.clip_weights import resolve_checkpoint
from visearch.indexer.models.devices import device_precision, free_gpu_memory, out_of_memory

DEFAULT_CLIP = "ViT-B-32:laion2b_s34b_b79k"
TINY = "tiny"
RANDOM_TAG = "random"
RANDOM_SEED = 0

# Small enough to build in 0.1 s, real enough to exercise every code path.
TINY_CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}
# Every CLIP checkpoint open_clip ships shares OpenAI's normalisation unless its tag says otherwise.
_OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
_OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to build: an architecture plus a pretrained tag, a local file, or random weights."""

    arch: str
    pretrained: str | None = None  # an open_clip tag, or RANDOM_TAG
    weights: Path | None = None  # a local checkpoint; overrides the tag

    @property
    def semantic(self) -> bool:
        return self.weights is not None or (self.pretrained not in (None, RANDOM_TAG))

    @property
    def text(self) -> str:
        """The `--clip` string that rebuilds this spec (weights travel separately)."""
        if self.arch == TINY:
            return TINY
        return f"{self.arch}:{self.pretrained}" if self.pretrained else self.arch

    @property
    def identity(self) -> str:
        if self.arch == TINY:
            return f"open_clip:{TINY}:seed{RANDOM_SEED}"
        if self.weights is not None:
            return f"open_clip:{self.arch}:file:{self.weights.name}"
        return f"open_clip:{self.arch}:{self.pretrained}"


def parse_clip_spec(text: str, weights: str | Path | None = None, *, check: bool = True) -> ClipSpec:
    """Parse `NAME[:PRETRAINED]`, checking names against open_clip's registry.

    `check=False` skips the registry (importing open_clip and torch costs seconds): for a spec a
    library recorded after it was checked, when a query may not need CLIP at all.
    """
    name, _, tag = text.strip().partition(":")
    if name == TINY:
        if tag or weights:
            raise UnknownModelError(N_("the 'tiny' encoder has no pretrained tags or weights"),
                                    code="clip_tag_unknown")
        return ClipSpec(TINY, RANDOM_TAG)
    if not check:
        return ClipSpec(name, tag or None, Path(weights).expanduser() if weights else None)
    import open_clip

    if open_clip.get_model_config(name) is None:
        raise UnknownModelError(N_("unknown CLIP architecture '%(name)s'; try one of: tiny, ViT-B-32, ViT-B-16, MobileCLIP2-S2, or see open_clip.list_models()"),
                                code="clip_unknown", name=name)
    if weights is not None:
        return ClipSpec(name, tag or None, Path(weights).expanduser())
    if not tag:
        tags = open_clip.list_pretrained_tags_by_model(name)
        raise UnknownModelError(N_("'%(name)s' needs a pretrained tag, e.g. '%(name2)s:%(value)s' (known: %(value2)s), or '%(name3)s:%(random_tag)s' for untrained weights"),
                                code="clip_tag_needed", name=name, name2=name, value=tags[0] if tags else RANDOM_TAG,
                                value2=', '.join(tags) or 'none', name3=name, random_tag=RANDOM_TAG)
    if tag != RANDOM_TAG and not open_clip.get_pretrained_cfg(name, tag):
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(name)) or "none"
        raise UnknownModelError(N_("'%(tag)s' is not a pretrained tag of %(name)s; known tags: %(tags)s"),
                                code="clip_tag_unknown", tag=tag, name=name, tags=tags)
    return ClipSpec(name, tag)


log = logging.getLogger(__name__)
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_has_native_bf16() -> bool:
    """True where the CPU computes bf16 natively (AVX512-BF16 or AMX), which makes the image tower ~4× faster."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        flags = []
    if flags:
        return "avx512_bf16" in flags or "amx_bf16" in flags
    import torch

    return "BF16" in str(torch.backends.cpu.get_cpu_capability()).upper()


def resolve_precision(precision: str, device: str = "cpu") -> str:
    """The image tower's precision for a device (`auto`: per device, see devices.device_precision)."""
    if precision not in PRECISIONS:
        raise UnknownModelError(N_("precision must be one of %(precisions)s, not %(precision)s"),
                                code="precision_unknown", precisions=', '.join(PRECISIONS),
                                precision=f'{precision!r}')
    try:
        return device_precision(precision, device, cpu_has_native_bf16() if precision == "auto" else False)
    except InvalidInput as exc:
        raise UnknownModelError.like(exc) from None


class ClipEncoder(InferenceModel):
    """Embeds images and texts into one space; vectors are L2-normalised float32.

    `precision` applies to the image tower: bf16 where the CPU has it natively
    (`auto`), else fp32; on a GPU (`device` "cuda:N") bf16 or fp16. Its vectors agree with fp32 to a cosine
    ≥ 0.999, so a library built on one machine is searched correctly from another. The text
    tower stays fp32: in bf16 it was slower here, not faster.

    On a GPU a batch that runs out of memory is split in halves (and later batches stay that size), and a
    batch that fails otherwise is encoded on the CPU: the run goes on either way, with a warning.
    """

    kind = "clip"

    def __init__(self, spec: ClipSpec, *, cache_dir: str | Path | None = None, precision: str = "fp32",
                 offline: bool = False, device: str = "cpu") -> None:
        super().__init__()
        self.spec = spec
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.offline = offline  # never try to download missing weights (the settings' VISEARCH_OFFLINE)
        self.device = device  # resolved: "cpu" or "cuda:N" (indexer/models/devices.py)
        self.precision = resolve_precision(precision, device)
        self.batch_limit = 1 << 30  # images per forward pass; halved when the GPU runs out of memory
        self._cpu_copy = None
        self._model = None
        self._tokenizer = None
        self._transform = None

    @property
    def identity(self) -> str:
        return self.spec.identity

    @property
    def semantic(self) -> bool:
        return self.spec.semantic

    @property
    def dim(self) -> int:
        return int(self._config()["embed_dim"])

    @property
    def image_size(self) -> int:
        size = self._config()["vision_cfg"].get("image_size", 224)
        return int(size if isinstance(size, int) else max(size))

    def _config(self) -> dict:
        if self.spec.arch == TINY:
            return TINY_CONFIG
        import open_clip

        return open_clip.get_model_config(self.spec.arch)

    def _pretrained_cfg(self) -> dict:
        import open_clip

        if self.spec.pretrained in (None, RANDOM_TAG):
            return {}
        return open_clip.get_pretrained_cfg(self.spec.arch, self.spec.pretrained)

    # -- preprocessing: needs no weights, so decode workers can run it before the model loads

    @property
    def _standard_transform(self) -> bool:
        """Shortest-side resize + centre crop: the transform the fast path reproduces."""
        return self._pretrained_cfg().get("resize_mode", "shortest") == "shortest"

    def resize_for_model(self, image):
        """Scale so the short side is the model's input size (bicubic, as CLIP was trained).

        The pipeline makes its thumbnail from this image too, so a photo is
        resampled once for both.
        """
        if not self._standard_transform:
            return image
        return shortest_side_resize(image, self.image_size)

    def prepare(self, image):
        """CLIP's input as uint8 CHW: normalising waits for the batch, where it is one vectorised op.

        Decode workers call this; it runs no torch kernels, so they do not
        compete with the encoder for torch's thread pool.
        """
        import torch

        if not self._standard_transform:
            return self._torch_transform(self._pretrained_cfg())(image)
        return torch.from_numpy(centre_crop(self.resize_for_model(image), self.image_size))

    def preprocess(self, image):
        """PIL RGB image → normalised CHW float tensor at the model's input size."""
        return self._normalise(self.prepare(image)[None])[0]

    def _normalise(self, batch):
        import torch

        if batch.dtype != torch.uint8:
            return batch  # already normalised by the torchvision transform
        mean, std = self._pixel_statistics()
        return (batch.float() - mean.to(batch.device)) / std.to(batch.device)

    def _pixel_statistics(self):
        import torch

        cfg = self._pretrained_cfg()
        mean = torch.tensor(cfg.get("mean", _OPENAI_MEAN)).view(1, 3, 1, 1) * 255.0
        std = torch.tensor(cfg.get("std", _OPENAI_STD)).view(1, 3, 1, 1) * 255.0
        return mean, std

    def _torch_transform(self, cfg: dict):
        if self._transform is None:
            import open_clip

            self._transform = open_clip.image_transform(
                self.image_size,
                is_train=False,
                mean=cfg.get("mean", _OPENAI_MEAN),
                std=cfg.get("std", _OPENAI_STD),
                interpolation=cfg.get("interpolation", "bicubic"),
                resize_mode=cfg.get("resize_mode", "shortest"),
            )
        return self._transform

    # -- loading

    def _load(self) -> None:
        import open_clip
        import torch

        if self.spec.arch == TINY or self.spec.pretrained == RANDOM_TAG and self.spec.weights is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(RANDOM_SEED)
                if self.spec.arch == TINY:
                    model = open_clip.model.CLIP(**TINY_CONFIG)
                else:
                    model = open_clip.create_model(self.spec.arch, pretrained=None)
            tokenizer = open_clip.get_tokenizer("ViT-B-32" if self.spec.arch == TINY else self.spec.arch)
        else:
            checkpoint = resolve_checkpoint(self.spec, self.cache_dir, offline=self.offline)
            cfg = self._pretrained_cfg()
            try:
                model = open_clip.create_model(
                    self.spec.arch,
                    pretrained=str(checkpoint),
                    force_quick_gelu=bool(cfg.get("quick_gelu", False)) or None,
                )
            except Exception as exc:  # a corrupt or mismatched checkpoint
                raise ModelUnavailableError(N_("could not load CLIP weights %(checkpoint)s into %(arch)s: %(exc)s"),
                                            code="clip_weights_unloadable", checkpoint=checkpoint,
                                            arch=self.spec.arch, exc=exc) from exc
            tokenizer = open_clip.get_tokenizer(self.spec.arch)
        model.eval()
        if self.precision in ("bf16", "fp16"):
            model.visual.to(torch.bfloat16 if self.precision == "bf16" else torch.float16)
        if self.device != "cpu":
            model.to(self.device)
            model.visual.to(memory_format=torch.channels_last)
        self._model = model
        self._tokenizer = tokenizer

    def _close(self) -> None:
        self._model = None
        self._tokenizer = None
        self._cpu_copy = None

    # -- inference

    def encode_pixels(self, pixels) -> np.ndarray:
        """A batch from `prepare` (uint8) or `preprocess` (float), (N, 3, H, W) → (N, dim) unit vectors."""
        self.load()
        done, start = [], 0
        while start < len(pixels):
            chunk = pixels[start : start + self.batch_limit]
            try:
                done.append(self._forward(chunk, self._model, self.device))
            except Exception as exc:  # noqa: BLE001 - a GPU failure must not end the run
                if self.device == "cpu":
                    raise
                if out_of_memory(exc) and len(chunk) > 1:
                    self.batch_limit = max(1, len(chunk) // 2)
                    log.warning("CLIP ran out of GPU memory on %d images: batches of %d from now on",
                                len(chunk), self.batch_limit)
                    free_gpu_memory()
                    continue
                log.warning("CLIP failed on %s for %d images (%s: %s): encoding them on the CPU", self.device,
                            len(chunk), exc.__class__.__name__, exc)
                done.append(self._forward(chunk, self._cpu_model(), "cpu"))
            start += len(chunk)
        return _unit_rows(np.concatenate(done) if done else np.zeros((0, self.dim), np.float32))

    def _forward(self, pixels, model, device: str) -> np.ndarray:
        import torch

        if device != "cpu":
            pixels = (pixels.pin_memory() if pixels.device.type == "cpu" else pixels).to(device, non_blocking=True)
        pixels = self._normalise(pixels)
        dtype = next(model.visual.parameters()).dtype
        pixels = pixels.to(dtype)
        if device != "cpu":
            pixels = pixels.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            features = model.encode_image(pixels)
        return features.float().cpu().numpy()

    def _cpu_model(self):
        """A float32 CPU copy of the model, made the first time a GPU batch fails."""
        import copy

        if self._cpu_copy is None:
            self._cpu_copy = copy.deepcopy(self._model).float().to("cpu").eval()
        return self._cpu_copy

    def image_tower(self) -> tuple:
        """The image path as fp32 torch parts: a copy of the visual tower, and the pixel mean and std
        (×255, 1×3×1×1) that turn `prepare`'s uint8 crops into its input. `clip_export` joins them
        into one ONNX graph, so a query process can embed photos without torch."""
        import copy

        if not self._standard_transform:
            raise ModelUnavailableError(N_("%(identity)s: only the shortest-side resize and centre crop export"),
                                        code="onnx_export_unsupported", identity=self.identity)
        self.load()
        mean, std = self._pixel_statistics()
        return copy.deepcopy(self._model.visual).float().to("cpu").eval(), mean, std

    def encode_images(self, images: Sequence) -> np.ndarray:
        import torch

        if not images:
            return np.zeros((0, self.dim), np.float32)
        return self.encode_pixels(torch.stack([self.preprocess(image) for image in images]))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.load()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with torch.inference_mode():
            features = self._model.encode_text(self._tokenizer(list(texts)).to(self.device))
        return _unit_rows(features.float().cpu().numpy())


def shortest_side_resize(image, size: int):
    """Scale a PIL image so its short side is `size` (bicubic, as CLIP was trained)."""
    from PIL import Image

    if min(image.width, image.height) == size:
        return image
    scale = size / min(image.width, image.height)
    target = (max(size, round(image.width * scale)), max(size, round(image.height * scale)))
    return image.resize(target, Image.Resampling.BICUBIC)


def centre_crop(image, size: int) -> np.ndarray:
    """The centred `size` square of a resized PIL image, as uint8 CHW."""
    left, top = (image.width - size) // 2, (image.height - size) // 2
    crop = np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)
    return np.ascontiguousarray(crop.transpose(2, 0, 1))


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)
