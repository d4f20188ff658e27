"""Where CLIP runs: `auto`, `cpu` or `cuda[:N]`, checked against what torch can actually do here.

`auto` takes the first CUDA device when torch sees one; an explicit `cuda` on a machine without CUDA, or
with a CPU-only torch build, is an error that says which of the two is missing (the CLI exits 2).
"""
from __future__ import annotations

import re

from visearch.errors import N_, InvalidInput
from visearch.indexer.errors import ModelUnavailableError

_SPEC = re.compile(r"^(auto|cpu|cuda(?::(\d+))?)$")


class DeviceUnavailableError(ModelUnavailableError):
    """The device asked for is not usable here."""


def parse_device(text: str) -> tuple[str, int | None]:
    """`auto` | `cpu` | `cuda` | `cuda:N` → (kind, index). ValueError names the accepted forms. Pure."""
    found = _SPEC.match((text or "auto").strip().lower())
    if not found:
        raise InvalidInput(N_("--device is auto, cpu, cuda or cuda:N, not %(device)s"), code="device_unknown",
                           device=repr(text))
    kind = found.group(1).split(":")[0]
    return kind, int(found.group(2)) if found.group(2) is not None else None


def resolve_device(text: str) -> str:
    """The torch device string to use: "cpu" or "cuda:N"; DeviceUnavailableError when CUDA was asked for
    and cannot be had."""
    kind, index = parse_device(text)
    if kind == "cpu":
        return "cpu"
    import torch

    available = torch.cuda.is_available()
    if kind == "auto":
        return "cuda:0" if available else "cpu"
    if torch.version.cuda is None:
        raise DeviceUnavailableError(
            N_("--device %(device)s: this torch (%(torch)s) is a CPU-only build; install a CUDA build "
               "(pip install torch --index-url https://download.pytorch.org/whl/cu126) or use --device cpu"),
            code="device_cpu_only_torch", device=text, torch=torch.__version__)
    if not available:
        raise DeviceUnavailableError(
            N_("--device %(device)s: torch %(torch)s is built for CUDA %(cuda)s but sees no GPU (no NVIDIA driver, "
               "or CUDA_VISIBLE_DEVICES hides it); use --device cpu"),
            code="device_no_gpu", device=text, torch=torch.__version__, cuda=torch.version.cuda)
    count = torch.cuda.device_count()
    if (index or 0) >= count:
        raise DeviceUnavailableError(N_("--device %(device)s: this machine has %(count)s CUDA devices (cuda:0 to "
                                        "cuda:%(last)s)"), code="device_missing", device=text, count=count,
                                     last=count - 1)
    return f"cuda:{index or 0}"


def is_gpu(device: str) -> bool:
    """Whether a resolved device ("cpu", "cuda:N") is a GPU: the one way visearch asks. Pure."""
    return str(device).startswith("cuda")


def device_precision(precision: str, device: str, cpu_bf16: bool) -> str:
    """The image tower's precision on a device: `auto` is bf16 on a GPU that has it (fp16 otherwise) and,
    on a CPU, bf16 only where it is native; fp16 is refused on a CPU (it runs slower there than fp32). Pure."""
    on_gpu = is_gpu(device)
    if precision == "auto":
        if on_gpu:
            return "bf16" if _gpu_bf16(device) else "fp16"
        return "bf16" if cpu_bf16 else "fp32"
    if precision == "fp16" and not on_gpu:
        raise InvalidInput(N_("--precision fp16 needs a GPU (--device cuda); on a CPU use fp32 or bf16"),
                           code="precision_needs_gpu")
    return precision


def _gpu_bf16(device: str) -> bool:
    import torch

    with torch.cuda.device(device):
        return bool(torch.cuda.is_bf16_supported())


def out_of_memory(exc: BaseException) -> bool:
    """Whether an error is the device running out of memory (then a smaller batch may pass)."""
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def free_gpu_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
