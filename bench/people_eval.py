"""How well visearch tells people apart, through the real pipeline (`visearch index`, dlib faces).

    python bench/people_eval.py            # needs ../shared/data

Reports, on the labelled photos of ../shared/data/faces:
  * pairwise precision, recall and F1 (recall over identities with 3+ photos);
  * the look-alike stress: for every pair of distinct identities, the share of their
    face pairs that ended up in one person; the worst pairs are listed;
  * cannot-link violations: two faces of one group photo given the same person;
and on the generated people video (demo/video.py), segment recall and precision
at 1 s tolerance, with people found by clustering alone and with people enrolled
from photos not used in the video.
"""
from __future__ import annotations

import csv
import shutil
import sys
import tempfile
from collections import Counter
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"


def index(library: Path, inputs: list[Path]) -> None:
    from visearch.cli import main

    code = main(["--library", str(library), "index", *map(str, inputs), "--clip", "tiny", "--ocr", "off",
                 "--local-features", "off", "--no-progress"])
    if code:
        raise SystemExit(f"indexing failed ({code})")


def photo_people(work: Path) -> tuple[list[str], list[int], list[list[int]], list]:
    """Index the labelled and the group photos; (labels, predicted person per labelled photo, group persons,
    the labelled faces' identity vectors)."""
    rows = list(csv.DictReader(open(SHARED / "faces" / "identities.csv", encoding="utf-8")))
    folder = work / "photos"
    folder.mkdir()
    for number, row in enumerate(rows):
        (folder / f"{number:03d}{Path(row['file']).suffix}").symlink_to(SHARED / row["file"])
    index(work / "lib", [folder])
    from visearch.storage.library import Library

    labels, predicted, groups, vectors = [], [], [], []
    with Library.open(work / "lib", read_only=True) as library:
        states = {Path(s.path).name: s.id for s in library.docs.file_states()}
        faces = library.faces.faces_of(list(states.values()))
    for number, row in enumerate(rows):
        found = faces.get(states.get(f"{number:03d}{Path(row['file']).suffix}")) or []
        if len(found) > 1:
            groups.append([f.person_id for f in found])
        if (found and row["certainty"] == "certain" and row["multi_face_image"] == "no"
                and not row["identity"].startswith(("UN", "MULTIPLE"))):
            labels.append(row["identity"])
            vectors.append(found[0].embedding)
            person = found[0].person_id
            predicted.append(person if person is not None else -1 - number)  # unclustered: a singleton
    return labels, predicted, groups, vectors


def closest_identities(labels: list[str], vectors: list, count: int = 3) -> list[tuple[str, str, float]]:
    """The identity pairs whose faces are nearest on average: how close the hardest look-alikes come."""
    import numpy as np

    by_label: dict[str, list] = {}
    for label, vector in zip(labels, vectors):
        by_label.setdefault(label, []).append(vector)
    pairs = []
    for a, b in combinations(sorted(by_label), 2):
        cross = np.linalg.norm(np.stack(by_label[a])[:, None] - np.stack(by_label[b])[None], axis=2)
        pairs.append((a, b, float(cross.mean())))
    return sorted(pairs, key=lambda p: p[2])[:count]


def certainty_fit(labels: list[str], vectors: list) -> tuple[float, float, list[tuple[float, int, int]]]:
    """How likely "Is this X?" is right at an average distance: for every labelled face and every identity with
    other faces, the face's average distance to them and whether it is theirs, fitted by logistic regression.
    (midpoint, slope) as FaceModel.certainty_curve takes them, and (band, pairs, same) per 0.05 of distance."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    vectors, labels = np.stack(vectors).astype(np.float64), np.asarray(labels)
    distances = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    pairs = []
    for i in range(len(labels)):
        for identity in set(labels):
            theirs = labels == identity
            theirs[i] = False
            if theirs.any():
                pairs.append((distances[i, theirs].mean(), identity == labels[i]))
    x, y = np.array([[d] for d, _ in pairs]), np.array([same for _, same in pairs])
    fit = LogisticRegression(C=100).fit(x, y)
    slope = -float(fit.coef_[0][0])
    bands = [(low, int(((x[:, 0] >= low) & (x[:, 0] < low + 0.05)).sum()),
              int(y[(x[:, 0] >= low) & (x[:, 0] < low + 0.05)].sum())) for low in np.arange(0.4, 0.7, 0.05)]
    return float(fit.intercept_[0]) / slope, slope, bands


def pairwise(labels: list[str], predicted: list[int]) -> tuple[float, float, float]:
    counts = Counter(labels)
    tp = fp = fn = 0
    for i, j in combinations(range(len(labels)), 2):
        together, same = predicted[i] == predicted[j], labels[i] == labels[j]
        tp += together and same
        fp += together and not same
        fn += same and not together and counts[labels[i]] >= 3
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def look_alikes(labels: list[str], predicted: list[int], worst: int = 5) -> list[tuple[str, str, float]]:
    """For each pair of identities, the share of their cross pairs put in one person; the worst first."""
    counts = Counter(labels)
    merged: Counter = Counter()
    for i, j in combinations(range(len(labels)), 2):
        if labels[i] != labels[j] and predicted[i] == predicted[j]:
            merged[tuple(sorted((labels[i], labels[j])))] += 1
    shares = [(a, b, n / (counts[a] * counts[b])) for (a, b), n in merged.items()]
    return sorted(shares, key=lambda s: -s[2])[:worst]


def violations(groups: list[list[int]]) -> int:
    return sum(1 for persons in groups for a, b in combinations(persons, 2) if a is not None and a == b)


def segments(work: Path, enrolled: bool) -> tuple[float, float, float, float]:
    """Segment recall and precision on the people video, each truth person matched to its best person: as
    indexed, and after saying yes to every question the review asks (what a user does in a minute)."""
    from bench.common import segment_scores
    from visearch.demo.video import generate_video
    from visearch.cli import main

    fixture = generate_video(SHARED, work / "video")
    library = work / ("video-enrolled" if enrolled else "video-clustered")
    index(library, [fixture.video])
    if enrolled:
        for person, photos in fixture.enroll.items():
            main(["--library", str(library), "people", "enroll", person, *map(str, photos)])
    before = segment_scores(library, fixture.truth)
    from visearch.storage.library import Library
    from visearch.app.people import answer, review

    with Library.open(library) as lib:
        for group in review(lib)["suggestions"]:
            for face in group["faces"]:
                answer(lib, face["face"], face["person"], "yes")
    return (*before, *segment_scores(library, fixture.truth))


def main() -> int:
    if not (SHARED / "faces" / "identities.csv").exists():
        print(f"no sample data at {SHARED}: nothing to measure")
        return 0
    work = Path(tempfile.mkdtemp(prefix="visearch-people-eval-"))
    try:
        labels, predicted, groups, vectors = photo_people(work)
        precision, recall, f1 = pairwise(labels, predicted)
        print(f"labelled photos: {len(labels)} faces of {len(set(labels))} identities; "
              f"{len(groups)} group photos with {sum(map(len, groups))} faces")
        print(f"pairwise precision {precision:.3f}  recall {recall:.3f} (identities with 3+ photos)  F1 {f1:.3f}")
        worst = look_alikes(labels, predicted)
        print("look-alike stress (share of two identities' face pairs put in one person), worst pairs:")
        for a, b, share in worst or [("-", "-", 0.0)]:
            print(f"  {a} + {b}: {share:.2f}")
        from visearch.indexer.models.faces import DlibFaces

        print(f"nearest identities on average (dlib; a new person needs faces within "
              f"{getattr(DlibFaces, 'cluster_distance', DlibFaces.same_person)} on average):")
        for a, b, distance in closest_identities(labels, vectors):
            print(f"  {a} + {b}: {distance:.3f}")
        midpoint, slope, bands = certainty_fit(labels, vectors)
        print(f"review certainty (FaceModel.certainty_curve; dlib's is {DlibFaces.certainty_curve}): midpoint "
              f"{midpoint:.3f}, slope {slope:.1f}; same identity per average distance band:")
        for low, count, same in bands:
            print(f"  {low:.2f}-{low + 0.05:.2f}: {same} of {count}")
        print(f"cannot-link violations (two faces of one photo, one person): {violations(groups)}")
        for enrolled in (False, True):
            seg_recall, seg_precision, answered_recall, answered_precision = segments(work, enrolled)
            how = "enrolled from other photos" if enrolled else "found by clustering alone"
            print(f"people video, {how}: segment recall {seg_recall:.3f}  precision {seg_precision:.3f} (1 s); "
                  f"after yes to the review's questions {answered_recall:.3f} / {answered_precision:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
