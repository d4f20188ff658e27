"""Finding CLIP weights without hanging: local files, the caches, then the hub when it is reachable.

A machine without the weights gets one actionable error at once, not a minute of network retries.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError

if TYPE_CHECKING:
    from visearch.indexer.models.clip import ClipSpec

CHECKPOINT_NAMES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


def resolve_checkpoint(spec: "ClipSpec", cache_dir: Path | None = None, *, offline: bool = False) -> Path:
    """Find the checkpoint on disk, or download it when the hub is reachable.

    Checking the caches and the offline state first means a machine without the
    weights gets one actionable error at once, not a minute of network retries.
    """
    if spec.weights is not None:
        return _local_checkpoint(spec)
    cached = _cached_checkpoint(spec, cache_dir)
    if cached is not None:
        return cached
    offline_reason = "VISEARCH_OFFLINE is set" if offline else _offline_reason()
    if offline_reason:
        raise _missing_weights(spec, offline_reason)
    import open_clip

    try:
        path = open_clip.download_pretrained(
            open_clip.get_pretrained_cfg(spec.arch, spec.pretrained),
            cache_dir=str(cache_dir) if cache_dir else None,
        )
    except Exception as exc:
        raise _missing_weights(spec, f"the download failed: {exc}") from exc
    if not path:
        raise _missing_weights(spec, "open_clip has no download for this tag")
    return Path(path)


def _local_checkpoint(spec: "ClipSpec") -> Path:
    path = spec.weights
    if path.is_dir():
        for name in CHECKPOINT_NAMES:
            if (path / name).is_file():
                return path / name
        raise ModelUnavailableError(N_("no CLIP checkpoint in %(path)s: expected one of %(checkpoint_names)s"),
                                    code="clip_weights_missing", path=path,
                                    checkpoint_names=', '.join(CHECKPOINT_NAMES))
    if not path.is_file():
        raise ModelUnavailableError(N_("CLIP weights file %(path)s does not exist"), code="clip_weights_missing",
                                    path=path)
    return path


def _cached_checkpoint(spec: "ClipSpec", cache_dir: Path | None) -> Path | None:
    import open_clip

    cfg = open_clip.get_pretrained_cfg(spec.arch, spec.pretrained)
    if cfg.get("hf_hub"):
        from huggingface_hub import try_to_load_from_cache

        repo_id, filename = os.path.split(cfg["hf_hub"])  # "org/repo/" means the default file name
        names = [filename] if filename else list(CHECKPOINT_NAMES)
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename[:-4] + ".safetensors")
        for name in names:
            found = try_to_load_from_cache(repo_id, name, cache_dir=str(cache_dir) if cache_dir else None)
            if isinstance(found, str) and os.path.isfile(found):
                return Path(found)
    if cfg.get("url"):
        target = Path(cache_dir or Path("~/.cache/clip").expanduser()) / os.path.basename(cfg["url"])
        if target.is_file():
            return target
    return None


def _offline_reason() -> str | None:
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # the hub's own switches, which it reads too
        if os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{variable} is set"
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=2.0):
            return None
    except OSError as exc:
        return f"huggingface.co is unreachable ({exc.__class__.__name__})"


def _missing_weights(spec: "ClipSpec", reason: str) -> ModelUnavailableError:
    hub = ""
    try:
        import open_clip

        hub = open_clip.get_pretrained_cfg(spec.arch, spec.pretrained).get("hf_hub", "").rstrip("/")
    except Exception:
        pass
    fetch = f"huggingface-cli download {hub}" if hub else "download the checkpoint"
    return ModelUnavailableError(
        N_("CLIP weights for %(model)s are not on this machine and cannot be downloaded: %(reason)s.\n"
           "  - on a machine with internet: run `%(fetch)s` (or any visearch command once) to fill the cache,\n"
           "    then copy ~/.cache/huggingface to this machine;\n"
           "  - or copy the checkpoint file here and pass --clip-weights PATH;\n"
           "  - or use --clip tiny for an offline run without semantic text search."),
        code="clip_weights_unavailable", model=f"{spec.arch}:{spec.pretrained}", reason=reason, fetch=fetch)
