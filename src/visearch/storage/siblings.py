"""Catalogue images that share one design (a brand's vanilla and blueberry pots), found once at index time.

    siblings.json    {"version": 1, "checked": [item, …], "pairs": {"a": [[b, inliers, coverage, h…9], …]}}

`h` maps image b's pixels onto image a's: where the lens verifies a in a photo, it can place b there too and
weigh the two (lens/variants.py). The table is small (a few siblings per catalogue image) and rewritten whole,
atomically, after each index run that changed the catalogue.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

FILE = "siblings.json"
VERSION = 1


@dataclass(frozen=True)
class Sibling:
    item: int
    inliers: int
    coverage: float
    homography: np.ndarray  # 3 × 3: the sibling's pixels → the image it is a sibling of


class SiblingTable:
    """Which catalogue images are siblings, in the library folder (`siblings.json`)."""

    def __init__(self, root: Path, *, read_only: bool = False) -> None:
        self.path = Path(root) / FILE
        self.read_only = read_only
        self.checked: set[int] = set()
        self._pairs: dict[int, dict[int, Sibling]] = {}
        self._dirty = False
        if self.path.is_file():
            self._load(json.loads(self.path.read_text()))

    def _load(self, data: dict) -> None:
        if data.get("version") != VERSION:
            return  # an unknown layout: found again by the next index run
        self.checked = {int(i) for i in data.get("checked", [])}
        for item, rows in data.get("pairs", {}).items():
            self._pairs[int(item)] = {int(row[0]): Sibling(int(row[0]), int(row[1]), float(row[2]),
                                                           np.reshape(np.asarray(row[3:12], float), (3, 3)))
                                      for row in rows}

    def of(self, item: int) -> list[Sibling]:
        """`item`'s siblings, most inliers first."""
        return sorted(self._pairs.get(int(item), {}).values(), key=lambda s: -s.inliers)

    def add(self, item: int, other: int, inliers: int, coverage: float, homography: np.ndarray) -> None:
        """Record that `other` shares `item`'s design; `homography` maps other's pixels onto item's. The
        reverse pair is recorded too."""
        homography = np.reshape(np.asarray(homography, float), (3, 3))
        self._pairs.setdefault(int(item), {})[int(other)] = Sibling(int(other), inliers, coverage, homography)
        self._pairs.setdefault(int(other), {})[int(item)] = Sibling(int(item), inliers, coverage,
                                                                    np.linalg.inv(homography))
        self._dirty = True

    def mark_checked(self, items: Iterable[int]) -> None:
        self.checked |= {int(i) for i in items}
        self._dirty = True

    def keep_only(self, alive: set[int]) -> None:
        """Forget items that are no longer in the catalogue, and their pairs."""
        gone = (self.checked | set(self._pairs)) - alive
        if not gone:
            return
        self.checked -= gone
        self._pairs = {item: {o: s for o, s in rows.items() if o not in gone}
                       for item, rows in self._pairs.items() if item not in gone}
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        if self.read_only:
            raise PermissionError(f"{self.path} was opened read-only")
        data = {"version": VERSION, "checked": sorted(self.checked),
                "pairs": {str(item): [[s.item, s.inliers, round(s.coverage, 4), *s.homography.ravel().tolist()]
                                      for s in rows.values()] for item, rows in sorted(self._pairs.items()) if rows}}
        handle, temp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
        self._dirty = False
