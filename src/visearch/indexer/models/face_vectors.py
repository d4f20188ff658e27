"""dlib's identity vectors, computed in a child process.

dlib's face descriptor network holds the GIL for its ~75 ms a face (its HOG detector
releases it), so in the indexer it stalled every other thread: decoding, OCR and CLIP
batching. A video used 1.25 of two cores. The aligned 150-px chips (67 KB each) go to
one child process over a pipe, and the vectors come back. The child is a plain
`python -c` (not multiprocessing), so a caller's script needs no `__main__` guard.
A child that cannot start or dies is replaced by computing in this process, with a
warning: slower, never wrong.
"""
from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

log = logging.getLogger(__name__)

# dlib's own chip: vectors from these equal compute_face_descriptor(image, landmarks), bit for bit.
CHIP_SIDE = 150
CHIP_PADDING = 0.25
_HEADER = struct.Struct("!Q")
_PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the folder holding `visearch/`


def send(stream: BinaryIO, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO):
    """The next message, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        return None
    return pickle.loads(data)  # only ever from the process at the other end of our own pipe


def serve() -> None:
    """The child: chips in on stdin, vectors out on the original stdout (anything printed goes to stderr)."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # before any import: whatever a library prints must not reach the pipe
    import dlib

    network = dlib.face_recognition_model_v1(sys.argv[1])
    requests = sys.stdin.buffer
    while (chips := receive(requests)) is not None:
        send(replies, np.asarray([np.asarray(v, np.float32) for v in network.compute_face_descriptor(chips, 0)]))


class DescriptorProcess:
    """Face chips → 128-d dlib vectors in a child process; `fallback(chips)` computes them here."""

    def __init__(self, model: Path, fallback: Callable[[list[np.ndarray]], np.ndarray]) -> None:
        self.model = Path(model)
        self.fallback = fallback
        self._child: subprocess.Popen | None = None
        self._failed = False
        self._lock = threading.Lock()  # one request at a time on the pipe

    def vectors(self, chips: list[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, 128), np.float32)
        with self._lock:
            child = self._start()
            if child is not None:
                try:
                    send(child.stdin, chips)
                    vectors = receive(child.stdout)
                    if vectors is not None and len(vectors) == len(chips):
                        return vectors
                    reason = f"the face-vector process ended (exit {child.poll()})"
                except (OSError, pickle.PickleError) as exc:
                    reason = f"the face-vector process failed ({exc})"
                self._give_up(reason)
        return self.fallback(chips)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _start(self) -> subprocess.Popen | None:
        if self._child is None and not self._failed:
            path = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
            try:
                self._child = subprocess.Popen(
                    [sys.executable, "-c", "from visearch.indexer.models.face_vectors import serve; serve()", str(self.model)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=path))
            except OSError as exc:
                self._give_up(f"the face-vector process could not start ({exc})")
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()  # the child's loop ends at the end of its input
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        child.stdout.close()

    def _give_up(self, reason: str) -> None:
        self._failed = True
        self._stop()
        log.warning("%s: face vectors are computed in this process from now on (slower)", reason)
