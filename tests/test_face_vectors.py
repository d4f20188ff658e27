"""dlib's identity vectors from the child process: the same as in-process, and a dead child costs only speed."""
from __future__ import annotations

import logging
import threading

import numpy as np
import pytest


@pytest.fixture(scope="module")
def faces():
    from visearch.indexer.models.faces import create_faces

    model = create_faces("dlib")
    model.load()
    yield model
    model.close()


def face_photo(shared_data):
    from PIL import Image

    return Image.open(sorted((shared_data / "faces").rglob("*.jpg"))[0]).convert("RGB")


def test_child_process_vectors_equal_dlibs_own(faces, shared_data):
    import dlib

    from visearch.indexer.models.faces import RECOGNITION_MODEL, _dlib_model_folder

    image = face_photo(shared_data)
    found = faces.detect(image)
    assert found and all(face.embedding.shape == (128,) for face in found)
    pixels = np.asarray(image)
    folder = _dlib_model_folder()
    landmarks = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
    network = dlib.face_recognition_model_v1(str(folder / RECOGNITION_MODEL))
    for face in found:
        shape = landmarks(pixels, dlib.rectangle(*(int(round(v)) for v in face.box)))
        expected = np.asarray(network.compute_face_descriptor(pixels, shape, 0), np.float32)
        assert np.abs(face.embedding - expected).max() < 1e-5


def test_threads_share_the_child_and_each_gets_its_own_answer(faces, shared_data):
    image = face_photo(shared_data)
    reference = [face.embedding for face in faces.detect(image)]
    answers: list = [None] * 4

    def detect(slot: int) -> None:
        answers[slot] = [face.embedding for face in faces.detect(image)]

    threads = [threading.Thread(target=detect, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        assert len(answer) == len(reference)
        assert all(np.array_equal(a, b) for a, b in zip(answer, reference))


def test_a_child_that_dies_is_replaced_by_computing_here(shared_data, tmp_path, caplog):
    from visearch.indexer.models.face_vectors import CHIP_SIDE, DescriptorProcess

    calls = []

    def here(chips):
        calls.append(len(chips))
        return np.ones((len(chips), 128), np.float32)

    broken = DescriptorProcess(tmp_path / "no-such-model.dat", here)  # the child exits: dlib cannot load it
    chips = [np.zeros((CHIP_SIDE, CHIP_SIDE, 3), np.uint8)] * 2
    with caplog.at_level(logging.WARNING):
        vectors = broken.vectors(chips)
    assert vectors.shape == (2, 128) and calls == [2]
    assert "face vectors are computed in this process" in caplog.text
    assert broken.vectors(chips).shape == (2, 128) and calls == [2, 2]  # no second child
    broken.close()
