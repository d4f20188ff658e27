"""Encodings every store shares: float32 vectors as bytes or base64, and long id lists in chunks.

One spelling of each, so a vector written by one backend reads back bit for
bit in another (`visearch migrate` copies them between backends).
"""
from __future__ import annotations

import base64
from itertools import islice
from typing import Iterable, Iterator, TypeVar

import numpy as np

T = TypeVar("T")


def vector_bytes(vector: np.ndarray) -> bytes:
    """Little-endian float32, as SQLite BLOBs and ES `binary` fields hold face identities."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def vector_base64(vector: np.ndarray) -> str:
    return base64.b64encode(vector_bytes(vector)).decode("ascii")


def vector_from_base64(text: str) -> np.ndarray:
    return vector_from_bytes(base64.b64decode(text))


def chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive batches of at most `size`: SQLite caps bound parameters, ES caps `terms` and `mget`,
    and an export streams from a generator."""
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch
