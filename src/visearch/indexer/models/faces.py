"""Face detection and identity embeddings behind one interface.

`dlib` (the default) works offline: its HOG detector, 5-point landmarks and
128-d ResNet embedding ship in `face_recognition_models`. Two faces are the
same person when their embeddings are within ~0.6 (Euclidean), dlib's rule.
`insightface` (SCRFD + ArcFace, buffalo_l) is used when its model pack is on
disk; its 512-d embeddings compare by cosine.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError, UnknownModelError
from visearch.indexer.models.base import InferenceModel
from visearch.indexer.models.face_vectors import CHIP_PADDING, CHIP_SIDE, DescriptorProcess
from visearch.indexer.records import Face

# (box, detector score, chip signature) → an earlier face whose identity vector may be reused, or None
Reuse = Callable[[tuple, float, np.ndarray], "Face | None"]

RECOGNITION_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
MIN_USABLE_SIZE = 40  # px: smaller faces are kept, but do not seed clusters
MIN_USABLE_SHARPNESS = 15.0  # Laplacian variance of the face at 112 px


def face_quality(pixels: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """(size, sharpness) of a face box: the shorter side in pixels and the blur measure."""
    import cv2

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    height, width = pixels.shape[:2]
    crop = pixels[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
    size = float(min(x1 - x0, y1 - y0))
    if crop.size == 0:
        return size, 0.0
    grey = cv2.cvtColor(cv2.resize(crop, (112, 112), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    return size, float(cv2.Laplacian(grey, cv2.CV_64F).var())


class FaceModel(InferenceModel):
    kind = "faces"
    name = ""
    metric = "euclidean"
    #: Distance under which two embeddings are the same person (the backend's own scale): tracking.
    same_person = 0.5
    #: People: the average-linkage distance that groups faces into a new person; the average distance to a
    #: person's faces within which a new face joins them for sure; and the one within which it is only
    #: suggested, asked about (people/index.py, review.py).
    cluster_distance = 0.5
    join_distance = 0.45
    suggest_distance = 0.55
    #: How sure "Is this Karina?" is at an average distance d: 1 / (1 + exp(slope · (d − midpoint))), as
    #: (midpoint, slope) fitted to labelled faces (bench/people_eval.py). None: not measured for this backend;
    #: people/index.py then spans 0.95 at the join distance to 0.05 at the suggest distance.
    certainty_curve: tuple[float, float] | None = None
    dim = 0

    @property
    def identity(self) -> str:
        return self.name

    def detect(self, image, *, max_side: int | None = None, reuse: Reuse | None = None) -> list[Face]:
        """Faces in a PIL RGB image, largest first.

        `max_side` caps the resolution the detector sees (boxes and embeddings
        stay at full resolution): video frames trade the smallest faces for speed.
        `reuse(box, score, signature)` may return an earlier face whose identity
        vector this one takes instead of computing its own (backends that cannot
        split detection from recognition ignore it).
        """
        self.load()
        pixels = np.asarray(image.convert("RGB"))
        faces = self._detect(pixels, max_side, reuse)
        for face in faces:
            face.usable = face.size >= MIN_USABLE_SIZE and face.sharpness >= MIN_USABLE_SHARPNESS
        return sorted(faces, key=lambda f: -f.size)

    def locate(self, pixels: np.ndarray) -> list["Sighting"]:
        """Faces in an RGB array without identity vectors, for following a face many times a
        second (search/fancam); `identify` computes the vectors of those that need one."""
        self.load()
        return [Sighting(face.box, face.score, None, embedding=face.embedding)
                for face in self._detect(np.ascontiguousarray(pixels), None)]

    def identify(self, pixels: np.ndarray, sightings: list["Sighting"]) -> np.ndarray:
        """The identity vectors of sightings `locate` found in the same pixels."""
        return np.stack([s.embedding for s in sightings]) if sightings else np.zeros((0, self.dim), np.float32)

    @abstractmethod
    def _detect(self, pixels: np.ndarray, max_side: int | None, reuse: Reuse | None = None) -> list[Face]: ...


@dataclass(slots=True)
class Sighting:
    """A face found by `FaceModel.locate`: its box, and what the backend needs to identify it later."""

    box: tuple[float, float, float, float]
    score: float
    signature: np.ndarray | None  # aligned grey chip, unit norm (dlib): a cheap "still looks the same"
    landmarks: object = None
    embedding: np.ndarray | None = None


def _dlib_model_folder() -> Path:
    # Not `import face_recognition_models`: it imports pkg_resources, gone from new setuptools.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(N_("face_recognition_models is not installed (pip install face_recognition_models)"),
                                    code="dlib_model_missing")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class DlibFaces(FaceModel):
    name = "dlib"
    metric = "euclidean"
    same_person = 0.5  # tighter than dlib's 0.6 "same person" rule: tracks must not jump between people
    # Measured with bench/people_eval.py (README, "People"): average linkage at 0.55 keeps every labelled
    # identity apart and whole. Relatives (face morphs) sit 0.45-0.55 from a parent or sibling on average,
    # inside dlib's own 0.6 rule: a lone face joins only nearer than JOIN, and up to 0.6 it is asked about.
    cluster_distance = 0.55
    join_distance = 0.45
    suggest_distance = 0.6
    # Logistic regression of "same identity" on a face's average distance to each labelled identity's other
    # faces (bench/people_eval.py): 0.98 at 0.45, 0.87 at 0.5, 0.51 at 0.55, 0.14 at 0.6.
    certainty_curve = (0.551, 37.9)
    dim = 128

    def __init__(self, *, upsample: int = 0, max_side: int = 1600) -> None:
        super().__init__()
        self.upsample = upsample
        self.max_side = max_side
        # dlib's models must not be shared between threads (it aborts); they release the GIL,
        # so each worker thread gets its own copy and faces are found in parallel.
        self._local = threading.local()

    def _load(self) -> None:
        try:
            import dlib
        except ImportError as exc:
            raise ModelUnavailableError(N_("dlib is not installed (pip install dlib-bin): %(exc)s"),
                                        code="dlib_missing", exc=exc) from exc
        self._folder = _dlib_model_folder()
        self._dlib = dlib
        self._models()  # fail here, not in a worker, when the files are missing
        if not (self._folder / RECOGNITION_MODEL).is_file():
            raise ModelUnavailableError(N_("dlib's face recognition model is missing: %(value)s"),
                                        code="dlib_model_missing", value=self._folder / RECOGNITION_MODEL)
        self._descriptors = DescriptorProcess(self._folder / RECOGNITION_MODEL, self._vectors_here)

    def _models(self):
        models = getattr(self._local, "models", None)
        if models is None:
            dlib, folder = self._dlib, self._folder
            models = (
                dlib.get_frontal_face_detector(),
                dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
            )
            self._local.models = models
        return models

    def _close(self) -> None:
        self._descriptors.close()
        self._local = threading.local()

    def _vectors(self, pixels: np.ndarray, shapes) -> list[np.ndarray]:
        """Identity vectors of the faces whose landmarks are `shapes`, computed in the child process."""
        get_chip = self._dlib.get_face_chip
        return list(self._descriptors.vectors([get_chip(pixels, shape, size=CHIP_SIDE, padding=CHIP_PADDING)
                                               for shape in shapes]))

    def _vectors_here(self, chips: list[np.ndarray]) -> np.ndarray:
        """The fallback when the child process is gone: this thread's own copy of the network."""
        encoder = getattr(self._local, "recognition", None)
        if encoder is None:
            path = str(self._folder / RECOGNITION_MODEL)
            encoder = self._local.recognition = self._dlib.face_recognition_model_v1(path)
        return np.asarray([np.asarray(v, np.float32) for v in encoder.compute_face_descriptor(chips, 0)])

    def _detect(self, pixels: np.ndarray, max_side: int | None, reuse: Reuse | None = None) -> list[Face]:
        import cv2

        dlib = self._dlib
        detector, landmarks = self._models()
        height, width = pixels.shape[:2]
        scale = min(1.0, (max_side or self.max_side) / max(height, width))
        small = pixels if scale == 1.0 else cv2.resize(pixels, (round(width * scale), round(height * scale)),
                                                       interpolation=cv2.INTER_AREA)
        pixels = np.ascontiguousarray(pixels)
        rects, scores, _ = detector.run(np.ascontiguousarray(small), self.upsample, 0.0)
        faces = []
        shapes, fresh = [], []
        for rect, score in zip(rects, scores):
            box = (rect.left() / scale, rect.top() / scale, rect.right() / scale, rect.bottom() / scale)
            shape = landmarks(pixels, dlib.rectangle(*(int(round(v)) for v in box)))
            clipped = (max(0.0, box[0]), max(0.0, box[1]), min(float(width), box[2]), min(float(height), box[3]))
            size, sharpness = face_quality(pixels, clipped)
            face = Face(clipped, float(score), size, sharpness, np.zeros(0, np.float32))
            if reuse is not None:
                face.signature = chip_signature(dlib.get_face_chip(pixels, shape, size=SIGNATURE_SIDE))
                earlier = reuse(face.box, face.score, face.signature)
                if earlier is not None:  # the same face a sample ago: its identity vector still holds
                    face.embedding, face.reused = earlier.embedding, earlier.reused + 1
            if face.reused == 0:
                shapes.append(shape)
                fresh.append(face)
            faces.append(face)
        if fresh:
            for face, vector in zip(fresh, self._vectors(pixels, shapes)):
                face.embedding = vector
        return faces


    def locate(self, pixels: np.ndarray) -> list[Sighting]:
        self.load()
        dlib = self._dlib
        detector, landmarks = self._models()
        pixels = np.ascontiguousarray(pixels)
        rects, scores, _ = detector.run(pixels, self.upsample, 0.0)
        found = []
        for rect, score in zip(rects, scores):
            shape = landmarks(pixels, rect)
            found.append(Sighting((float(rect.left()), float(rect.top()), float(rect.right()), float(rect.bottom())),
                                  float(score), chip_signature(dlib.get_face_chip(pixels, shape, size=SIGNATURE_SIDE)),
                                  landmarks=shape))
        return found

    def identify(self, pixels: np.ndarray, sightings: list[Sighting]) -> np.ndarray:
        if not sightings:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._vectors(np.ascontiguousarray(pixels), [s.landmarks for s in sightings]))


SIGNATURE_SIDE = 32


def chip_signature(chip: np.ndarray) -> np.ndarray:
    """An aligned face chip as a zero-mean unit vector of grey levels: its dot product with another
    is their correlation (1: the same picture; lower as pose, expression or light change)."""
    grey = np.asarray(chip, np.float32).mean(axis=2).ravel()
    grey -= grey.mean()
    return grey / (np.linalg.norm(grey) + 1e-6)


class InsightFaces(FaceModel):
    """SCRFD detection + ArcFace embeddings from InsightFace's buffalo_l pack, when present."""

    name = "insightface"
    metric = "cosine"
    same_person = 0.5  # cosine distance, Immich's maxDistance
    cluster_distance = 0.5  # not measured here (the buffalo_l pack cannot be downloaded offline)
    join_distance = 0.45
    suggest_distance = 0.55
    dim = 512

    def __init__(self, *, pack: str = "buffalo_l", root: str | Path | None = None) -> None:
        super().__init__()
        self.pack = pack
        self.root = Path(root or os.environ.get("INSIGHTFACE_HOME", "~/.insightface")).expanduser()

    def _load(self) -> None:
        folder = self.root / "models" / self.pack
        if not folder.is_dir() or not any(folder.glob("*.onnx")):
            raise ModelUnavailableError(N_("InsightFace's %(pack)s pack is not in %(folder)s: download it on a machine with internet (insightface downloads it on first use) and copy the folder here, or use --faces dlib"),
                                        code="insightface_pack_missing", pack=self.pack, folder=folder)
        try:
            from insightface.app import FaceAnalysis
        except ImportError as exc:
            raise ModelUnavailableError(N_("pip install 'visearch[insightface]' to use this backend"),
                                        code="insightface_missing") from exc
        self._app = FaceAnalysis(name=self.pack, root=str(self.root), allowed_modules=["detection", "recognition"],
                                 providers=["CPUExecutionProvider"])
        self._app.prepare(ctx_id=-1, det_size=(640, 640))

    def _close(self) -> None:
        self._app = None

    def _detect(self, pixels: np.ndarray, max_side: int | None, reuse: Reuse | None = None) -> list[Face]:
        faces = []
        for found in self._app.get(np.ascontiguousarray(pixels[:, :, ::-1])):
            box = tuple(float(v) for v in found.bbox)
            size, sharpness = face_quality(pixels, box)
            faces.append(Face(box, float(found.det_score), size, sharpness,
                              np.asarray(found.normed_embedding, dtype=np.float32)))
        return faces


FACE_BACKENDS: dict[str, type[FaceModel]] = {"dlib": DlibFaces, "insightface": InsightFaces}
DEFAULT_FACES = "dlib"


def face_backend(name: str = "") -> type[FaceModel]:
    """The backend class a library records (`manifest.faces`; empty: the default), for its metric and
    thresholds without loading a model."""
    return FACE_BACKENDS[name or DEFAULT_FACES]


def create_faces(name: str, **options) -> FaceModel | None:
    if name == "off":
        return None
    if name not in FACE_BACKENDS:
        raise UnknownModelError(N_("unknown face backend '%(name)s'; choose one of: %(face_backends)s, off"),
                                code="faces_unknown", name=name, face_backends=', '.join(FACE_BACKENDS))
    return FACE_BACKENDS[name](**options)


def face_distances(metric: str, query: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Distances on the backend's own scale: Euclidean for dlib, cosine distance for ArcFace."""
    query = np.atleast_2d(query).astype(np.float32)
    candidates = np.atleast_2d(candidates).astype(np.float32)
    if metric == "cosine":
        q = query / np.linalg.norm(query, axis=1, keepdims=True)
        c = candidates / np.linalg.norm(candidates, axis=1, keepdims=True)
        return 1.0 - q @ c.T
    squared = (query**2).sum(1)[:, None] + (candidates**2).sum(1)[None, :] - 2 * query @ candidates.T
    return np.sqrt(np.maximum(squared, 0.0))
