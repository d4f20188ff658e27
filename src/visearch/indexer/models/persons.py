"""People as shapes, not guesses from faces: MediaPipe's person detector and its landmark model's mask.

`PersonModel.detect(pixels)` finds each person (BlazePose's detector: its anchors and decoding below follow
MediaPipe's pose_detection graph); `mask(pixels, box)` runs the landmark model on a square crop around one
person at its 256 × 256 size and returns the person's mask at the picture's size, 0..1. The models are the
ones `visearch models fetch` installs (mediapipe_assets.py); they load lazily, once per process, run by
ai-edge-litert on the CPU.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError
from visearch.indexer.models.base import InferenceModel
from visearch.indexer.models.mediapipe_assets import model_file

DETECT_SIDE = 224
LANDMARK_SIDE = 256
MIN_SCORE = 0.5  # the detector's own threshold
NMS_OVERLAP = 0.3
ROI_SCALE = 1.25  # MediaPipe grows the hip-centred square this much before the landmark model sees it


@dataclass(frozen=True)
class Person:
    """One person the detector found: a box around the whole body (x0, y0, x1, y1, pixels) and how sure."""

    box: tuple[float, float, float, float]
    score: float
    centre: tuple[float, float]  # mid-hip
    radius: float  # hip to the top of the head: the body's scale


def anchors() -> np.ndarray:
    """The detector's 2254 anchor centres (x, y in 0..1): SSD anchors over strides 8, 16, 32, 32, 32 with two
    anchors a cell (fixed size), layers of one stride merged, as MediaPipe's SsdAnchorsCalculator makes them."""
    found = []
    strides = [8, 16, 32, 32, 32]
    layer = 0
    while layer < len(strides):
        same = 1
        while layer + same < len(strides) and strides[layer + same] == strides[layer]:
            same += 1
        cells = int(np.ceil(DETECT_SIDE / strides[layer]))
        for y in range(cells):
            for x in range(cells):
                found += [((x + 0.5) / cells, (y + 0.5) / cells)] * (2 * same)
        layer += same
    return np.asarray(found, np.float32)


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, centres: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """The detector's outputs → (score, 12 values in 0..1 of the input: box centre, size, four keypoints) for
    each anchor over MIN_SCORE, after weighted non-maximum suppression. Pure."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -60, 60)))
    keep = np.flatnonzero(scores >= MIN_SCORE)
    values = raw_boxes.reshape(-1, 12)[keep] / DETECT_SIDE
    values[:, 0::2] += centres[keep, :1]  # x centre and the keypoints' x, relative to their anchor
    values[:, 1::2] += centres[keep, 1:]
    values[:, 2:4] -= centres[keep]  # width and height are not offsets
    order = np.argsort(-scores[keep])
    found = []
    remaining = list(order)
    while remaining:
        best = remaining[0]
        overlapping = [i for i in remaining if _iou(values[best], values[i]) > NMS_OVERLAP]
        weights = scores[keep][overlapping]
        found.append((float(scores[keep][best]), (values[overlapping] * weights[:, None]).sum(0) / weights.sum()))
        remaining = [i for i in remaining if i not in overlapping]
    return found


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def letterbox(pixels: np.ndarray, side: int) -> tuple[np.ndarray, float, tuple[float, float]]:
    """The picture scaled to fit a `side` square and centred on black: (square, scale, offset). Pure."""
    import cv2

    height, width = pixels.shape[:2]
    scale = side / max(height, width)
    resized = cv2.resize(pixels, (max(1, round(width * scale)), max(1, round(height * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    square = np.zeros((side, side, 3), np.uint8)
    dx, dy = (side - resized.shape[1]) // 2, (side - resized.shape[0]) // 2
    square[dy:dy + resized.shape[0], dx:dx + resized.shape[1]] = resized
    return square, scale, (dx, dy)


class PersonModel(InferenceModel):
    """The person detector and the landmark model's mask (ai-edge-litert; one interpreter each, locked)."""

    kind = "persons"
    name = "mediapipe-pose"

    def __init__(self, folder: Path, threads: int = 1) -> None:
        super().__init__()
        self.folder = Path(folder).expanduser()
        self.threads = threads
        self._detector = self._landmarks = self._selfie = None
        self._anchors = anchors()
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return self.name

    def _load(self) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelUnavailableError(N_("ai-edge-litert is not installed (pip install ai-edge-litert): "
                                           "%(detail)s"), code="litert_missing", detail=exc) from exc
        try:
            self._detector = Interpreter(model_path=str(model_file(self.folder, "pose_detection.tflite")),
                                         num_threads=self.threads)
            self._landmarks = Interpreter(model_path=str(model_file(self.folder, "pose_landmark_full.tflite")),
                                          num_threads=self.threads)
            self._selfie = Interpreter(model_path=str(model_file(self.folder, "selfie_segmentation.tflite")),
                                       num_threads=self.threads)
        except ValueError as exc:  # a file that is not a model
            raise ModelUnavailableError(N_("%(folder)s holds a damaged person model (%(detail)s): run `visearch "
                                           "models fetch` again"), code="mediapipe_damaged", folder=self.folder,
                                        detail=exc) from exc
        self._detector.allocate_tensors()
        self._landmarks.allocate_tensors()
        self._selfie.allocate_tensors()

    def _close(self) -> None:
        self._detector = self._landmarks = self._selfie = None

    def detect(self, pixels: np.ndarray) -> list[Person]:
        """Each person in an RGB picture, surest first."""
        self.load()
        square, scale, (dx, dy) = letterbox(pixels, DETECT_SIDE)
        tensor = (square.astype(np.float32) / 127.5 - 1.0)[None]
        with self._lock:
            self._detector.set_tensor(self._detector.get_input_details()[0]["index"], tensor)
            self._detector.invoke()
            outputs = {d["shape"][-1]: self._detector.get_tensor(d["index"]) for d in self._detector.get_output_details()}
        people = []
        for score, values in decode(outputs[12], outputs[1], self._anchors):
            to_picture = lambda x, y: ((x * DETECT_SIDE - dx) / scale, (y * DETECT_SIDE - dy) / scale)  # noqa: E731
            hip = to_picture(values[4], values[5])
            top = to_picture(values[6], values[7])
            radius = float(np.hypot(top[0] - hip[0], top[1] - hip[1]))
            side = radius * ROI_SCALE
            box = (hip[0] - side, hip[1] - side, hip[0] + side, hip[1] + side)
            people.append(Person(box, score, hip, radius))
        return people

    def mask(self, pixels: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        """The person inside `box` (a square around them is what the model sees): float mask at the picture's
        size. Sharp for a whole body; coarse for a close-up, whose square reaches far past the picture."""
        self.load()
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        square = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
        return self._run_mask(self._landmarks, pixels, square)

    def segment(self, pixels: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        """Everyone in `box` (a part of the picture, stretched to the model's square), by the selfie model made
        for people near the camera: float mask at the picture's size."""
        self.load()
        return self._run_mask(self._selfie, pixels, box)

    def _run_mask(self, interpreter, pixels: np.ndarray, box) -> np.ndarray:
        """A mask model on the `box` of the picture warped to its 256 × 256 input, brought back to the picture."""
        import cv2

        height, width = pixels.shape[:2]
        x0, y0, x1, y1 = box
        corners, target = np.float32([[x0, y0], [x1, y0], [x0, y1]]), np.float32([[0, 0], [LANDMARK_SIDE, 0], [0, LANDMARK_SIDE]])
        matrix = cv2.getAffineTransform(corners, target)
        shrink = min(1.0, 2 * LANDMARK_SIDE / max(1.0, x1 - x0, y1 - y0))  # no aliasing: area-shrink first
        if shrink < 1:
            pixels = cv2.resize(pixels, (max(1, round(width * shrink)), max(1, round(height * shrink))),
                                interpolation=cv2.INTER_AREA)
        forward = cv2.getAffineTransform(np.float32(corners * shrink), target)
        crop = cv2.warpAffine(pixels, forward, (LANDMARK_SIDE, LANDMARK_SIDE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT)
        with self._lock:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], (crop.astype(np.float32) / 255.0)[None])
            interpreter.invoke()
            raw = next(interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()
                       if tuple(d["shape"]) == (1, LANDMARK_SIDE, LANDMARK_SIDE, 1))
        values = raw[0, :, :, 0]
        small = 1.0 / (1.0 + np.exp(-np.clip(values, -30, 30))) if values.min() < 0 or values.max() > 1 else values
        return cv2.warpAffine(small.astype(np.float32), cv2.invertAffineTransform(matrix), (width, height),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
