"""Local features for exact-product matching: RootSIFT keypoints and descriptors from OpenCV.

RootSIFT (SIFT descriptors L1-normalised and square-rooted, Arandjelović &
Zisserman 2012) matches better than raw SIFT under Euclidean distance and is
patent-free. Descriptors are stored as uint8: 128 bytes each, and the few
hundred strongest keypoints per image are enough to verify a product.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

MAX_SIDE = 800  # features are found on the image scaled to this longest side
MIN_SIDE = 480  # smaller images are enlarged first: a 200-px catalogue thumbnail yields few keypoints otherwise
MAX_KEYPOINTS = 400
DESCRIPTOR_SCALE = 512.0  # RootSIFT components are ≤ ~0.5: ×512 fills uint8 without clipping in practice


@dataclass(frozen=True, slots=True)
class LocalFeatures:
    """Keypoints (N, 2) in the image's own pixels, and their RootSIFT descriptors (N, 128) uint8."""

    points: np.ndarray
    descriptors: np.ndarray

    def __len__(self) -> int:
        return len(self.points)

    @staticmethod
    def empty() -> "LocalFeatures":
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8))


class RootSift:
    """Thread-safe wrapper: OpenCV detectors are created per thread."""

    name = "rootsift"

    def __init__(self, max_keypoints: int = MAX_KEYPOINTS, max_side: int = MAX_SIDE, min_side: int = MIN_SIDE) -> None:
        self.max_keypoints = max_keypoints
        self.max_side = max_side
        self.min_side = min_side
        self._local = threading.local()

    def _sift(self):
        import cv2

        sift = getattr(self._local, "sift", None)
        if sift is None:
            sift = self._local.sift = cv2.SIFT_create(nfeatures=self.max_keypoints)
        return sift

    def extract(self, image) -> LocalFeatures:
        """From a PIL RGB image (or an RGB array)."""
        import cv2

        pixels = np.asarray(image.convert("L") if hasattr(image, "convert") else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        height, width = pixels.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        if max(height, width) < self.min_side:
            scale = self.min_side / max(height, width)
        if scale != 1.0:
            interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
            pixels = cv2.resize(pixels, (round(width * scale), round(height * scale)), interpolation=interpolation)
        keypoints, descriptors = self._sift().detectAndCompute(pixels, None)
        if descriptors is None or not keypoints:
            return LocalFeatures.empty()
        order = np.argsort([-k.response for k in keypoints])[: self.max_keypoints]
        points = np.asarray([keypoints[i].pt for i in order], np.float32) / scale
        return LocalFeatures(points, to_root_sift(descriptors[order]))


def to_root_sift(descriptors: np.ndarray) -> np.ndarray:
    """SIFT → RootSIFT, quantised to uint8."""
    descriptors = descriptors.astype(np.float32)
    descriptors /= descriptors.sum(axis=1, keepdims=True) + 1e-7
    return np.clip(np.sqrt(descriptors) * DESCRIPTOR_SCALE, 0, 255).astype(np.uint8)
