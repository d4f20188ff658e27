"""Joined, suggested or unassigned: how people's three outcomes score, and the distances behind them.

    python bench/people_outcomes.py        # needs ../shared/data; about 3 minutes on 2 cores

Two sets, each indexed once through `visearch index` (dlib faces), then clustered again under each
rule compared (the faces and their embeddings stay; only the people change):
  * shared: the labelled single-face photos of ../shared/data/faces;
  * relatives: six families made of two real parents and three morph children each (fixtures/relatives.py):
    children look like both parents and like each other, as siblings do.
For each rule: pairwise precision of the *joined* faces; recall over identities with 3+ photos
counting a suggested face as if the user said yes; the share of faces left as suggestions (the
review load). Before that, the distance distributions the thresholds come from: a lone face's
average distance to its own identity's other faces, to the nearest other identity, and a morph
child's to its parents and siblings.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.people_eval import SHARED, index  # noqa: E402

FAMILIES = [("deepface:Angelina", "deepface:Jack"), ("deepface:Scarlett", "deepface:Mark"),
            ("bbt:penny", "bbt:leonard"), ("bbt:amy", "bbt:sheldon"), ("deepface:Jennifer", "Barack Obama"),
            ("bbt:bernadette", "bbt:howard")]
RULES = [  # (name, cluster, join, suggest, least certainty asked about): distances on dlib's scale
    ("old: join within 0.6", 0.55, 0.6, 0.6, 0.0),
    ("join 0.50, ask to 0.60", 0.55, 0.50, 0.6, 0.0),
    ("join 0.47, ask to 0.60", 0.55, 0.47, 0.6, 0.0),
    ("join 0.45, ask to 0.60", 0.55, 0.45, 0.6, 0.0),
    ("join 0.45, ask if certainty >= 0.25", 0.55, 0.45, 0.6, 0.25),
    ("join 0.42, ask to 0.62", 0.55, 0.42, 0.62, 0.0),
]


def shared_set(work: Path) -> dict[Path, str]:
    from fixtures.relatives import labelled_photos

    folder, labels = work / "shared", {}
    folder.mkdir()
    for identity, paths in labelled_photos(SHARED).items():
        for number, path in enumerate(paths):
            link = folder / f"{len(labels):03d}{path.suffix}"
            link.symlink_to(path.resolve())
            labels[link] = identity
    return labels


def relatives_set(work: Path) -> dict[Path, str]:
    from fixtures.relatives import make_families

    families = make_families(SHARED, work / "relatives", FAMILIES, children=3, photos_each=1)
    return {path: who for family in families for who, paths in family.photos.items() for path in paths}


def embedded(library: Path, labels: dict[Path, str]):
    """(label, unit key, face) of each labelled photo's largest face, from the index."""
    from visearch.storage.library import Library
    from visearch.people.review import unit_of

    with Library.open(library, read_only=True) as lib:
        states = {Path(s.path).name: s.id for s in lib.docs.file_states()}
        faces = lib.faces.faces_of(list(states.values()))
    rows = []
    for path, label in labels.items():
        found = faces.get(states.get(path.name)) or []
        if found:
            rows.append((label, unit_of(found[0]), found[0]))
    return rows


def distributions(rows) -> None:
    by_label: dict[str, list[np.ndarray]] = {}
    for label, _, face in rows:
        by_label.setdefault(label, []).append(face.embedding)
    same, other, child_parent, siblings = [], [], [], []
    for label, vectors in by_label.items():
        for i, vector in enumerate(vectors):
            rest = [v for j, v in enumerate(vectors) if j != i]
            if len(rest) >= 2:
                same.append(float(np.mean(np.linalg.norm(np.stack(rest) - vector, axis=1))))
            others = [float(np.mean(np.linalg.norm(np.stack(vs) - vector, axis=1)))
                      for other_label, vs in by_label.items() if other_label != label and len(vs) >= 2]
            if others and not label.startswith("child"):
                other.append(min(others))
            if label.startswith("child"):
                parents = label.split(" of ", 1)[1].split(" and ")
                child_parent += [float(np.mean(np.linalg.norm(np.stack(by_label[p]) - vector, axis=1)))
                                 for p in parents if p in by_label]
                family = label.split(" of ", 1)[1]
                siblings += [float(np.linalg.norm(v - vector)) for sibling, vs in by_label.items()
                             if sibling.startswith("child") and sibling.endswith(family) and sibling != label
                             for v in vs]
    for name, values in (("same identity (a face to its other faces)", same),
                         ("nearest other identity", other), ("morph child to a parent", child_parent),
                         ("morph child to a sibling", siblings)):
        if values:
            print(f"  {name:45s} n={len(values):3d}  " + "  ".join(
                f"p{q:02d} {np.percentile(values, q):.3f}" for q in (1, 5, 25, 50, 75, 95, 99)))


def outcomes(library: Path, rows, rule) -> tuple[float, float, float, float]:
    """(joined precision, joined+suggested recall, suggestion share, joined share) under one rule."""
    from visearch.indexer.models.faces import DlibFaces
    from visearch.storage.library import Library
    from visearch.people.index import PeopleIndex
    from visearch.people.review import suggestions

    _, cluster, join, suggest, least = rule
    with Library.open(library) as lib:
        lib.faces.assign([(u.kind, u.id, None) for u in lib.faces.units()])
        people = PeopleIndex(lib.faces, DlibFaces.metric, cluster, join, suggest, docs=lib.docs,
                             certainty_curve=DlibFaces.certainty_curve, min_certainty=least)
        people.cluster()
        person = {(u.kind, u.id): u.person_id for u in lib.faces.units()}
        asked = {s.unit: s.person for s in suggestions(people)}
        lib.save()
    labels = [label for label, _, _ in rows]
    joined = [person.get(unit) for _, unit, _ in rows]
    reached = [j if j is not None else asked.get(unit) for j, (_, unit, _) in zip(joined, rows)]
    counts = Counter(labels)
    tp = fp = found = wanted = 0
    for i, j in combinations(range(len(rows)), 2):
        same = labels[i] == labels[j]
        if joined[i] is not None and joined[i] == joined[j]:
            tp += same
            fp += not same
        if same and counts[labels[i]] >= 3:
            wanted += 1
            found += reached[i] is not None and reached[i] == reached[j]
    share = sum(1 for j, (_, unit, _) in zip(joined, rows) if j is None and unit in asked) / max(len(rows), 1)
    return tp / max(tp + fp, 1), found / max(wanted, 1), share, sum(j is not None for j in joined) / len(rows)


def main() -> int:
    if not (SHARED / "faces" / "identities.csv").exists():
        print(f"no sample data at {SHARED}: nothing to measure")
        return 0
    work = Path(tempfile.mkdtemp(prefix="visearch-people-outcomes-"))
    try:
        for name, make in (("shared", shared_set), ("relatives", relatives_set)):
            labels = make(work)
            library = work / f"{name}-lib"
            index(library, sorted({path.parent for path in labels}))
            rows = embedded(library, labels)
            print(f"{name}: {len(rows)} faces of {len(set(l for l, _, _ in rows))} identities; average distances:")
            distributions(rows)
            for rule in RULES:
                precision, recall, share, joined = outcomes(library, rows, rule)
                print(f"  {rule[0]:36s} joined precision {precision:.3f}  joined+suggested recall {recall:.3f}  "
                      f"suggested {share:.3f} of faces  joined {joined:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
