"""A test video with known ground truth, composed from face photos in ../shared/data/faces.

Shots cut between flat-colour sets; people appear as zooming and moving
head-and-shoulders stills, alone and in pairs, with stretches where nobody is
on screen. The generator writes the MP4 and `truth.json`: per person, the
on-screen segments and which photos it used, so tests can enroll each person
from *other* photos.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

WIDTH, HEIGHT, FPS = 640, 360, 10
PEOPLE = ("deepface:Angelina", "deepface:Scarlett", "deepface:Jennifer")
IN_VIDEO = 2  # photos per person used in the video; the rest are for enrollment

# (start, end, background, [(person index, photo index, motion)])
TIMELINE = [
    (0.0, 5.0, (40, 60, 110), [(0, 0, "zoom-in")]),
    (5.0, 8.0, (120, 120, 60), []),
    (8.0, 13.0, (30, 110, 60), [(1, 0, "left-to-right")]),
    (13.0, 18.0, (110, 40, 40), [(0, 1, "left"), (1, 1, "right")]),
    (18.0, 23.0, (70, 40, 100), [(2, 0, "zoom-out")]),
    (23.0, 25.0, (20, 20, 20), []),
    (25.0, 30.0, (150, 90, 30), [(0, 0, "right-to-left")]),
    (30.0, 35.0, (40, 100, 120), [(1, 0, "left"), (2, 1, "right")]),
]


@dataclass
class VideoFixture:
    video: Path
    truth: dict[str, list[tuple[float, float]]]  # person → merged on-screen segments
    enroll: dict[str, list[Path]] = field(default_factory=dict)
    used: dict[str, list[Path]] = field(default_factory=dict)


def labelled_photos(shared: Path, people: tuple[str, ...] = PEOPLE) -> dict[str, list[Path]]:
    """Single-face photos labelled with certainty, per identity, sorted by name."""
    rows = csv.DictReader(open(shared / "faces" / "identities.csv", encoding="utf-8"))
    found: dict[str, list[Path]] = {}
    for row in rows:
        if row["identity"] in people and row["certainty"] == "certain" and row["multi_face_image"] == "no":
            found.setdefault(row["identity"], []).append(shared / row["file"])
    return {person: sorted(paths, key=lambda p: p.name) for person, paths in found.items()}


def sprite(photo: Path, face_height: int = 120) -> Image.Image:
    """Head and shoulders cut around the photo's largest face, scaled so the face is `face_height` px."""
    from visearch.indexer.images import open_image
    from visearch.indexer.models.faces import DlibFaces

    image = open_image(photo)
    faces = DlibFaces().detect(image)
    if not faces:
        raise ValueError(f"{photo}: no face to build a sprite from")
    x0, y0, x1, y1 = faces[0].box
    cx, cy, side = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0)
    box = (cx - side * 1.1, cy - side * 1.2, cx + side * 1.1, cy + side * 1.4)
    crop = image.crop(tuple(int(v) for v in box))
    scale = face_height / side
    return crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))), Image.Resampling.LANCZOS)


def _place(
    motion: str, progress: float, sprite: Image.Image, width: int = WIDTH, height: int = HEIGHT
) -> tuple[Image.Image, tuple[int, int]]:
    if motion.startswith("zoom"):
        factor = 0.85 + 0.35 * (progress if motion == "zoom-in" else 1 - progress)
        sprite = sprite.resize((int(sprite.width * factor), int(sprite.height * factor)), Image.Resampling.BILINEAR)
        return sprite, ((width - sprite.width) // 2, (height - sprite.height) // 2)
    top = (height - sprite.height) // 2
    if motion == "left-to-right":
        return sprite, (int(40 + progress * (width - sprite.width - 80)), top)
    if motion == "right-to-left":
        return sprite, (int(width - sprite.width - 40 - progress * (width - sprite.width - 80)), top)
    return sprite, (40 if motion == "left" else width - sprite.width - 40, top)


# A caption shown within a shot (seconds), for the demo: Korean where Korean fonts exist.
CAPTION = (9.5, 12.5, "오늘의 무대 · TODAY'S STAGE")


def draw_caption(draw, text: str, width: int, height: int) -> None:
    """A lower third: white text on a dark band, in a Korean face where one is installed."""
    from visearch.demo.korean import font, korean_fonts

    faces = korean_fonts()
    size = max(14, height // 14)
    face = font(faces[1 % len(faces)], size) if faces else None
    band = (0, height - 3 * size, width, height - size)
    draw.rectangle(band, fill=(10, 10, 30))
    draw.text((width // 2, (band[1] + band[3]) // 2), text, font=face, fill=(255, 255, 255), anchor="mm")


def generate_video(
    shared: Path, out: Path, *, width: int = WIDTH, height: int = HEIGHT, fps: int = FPS, name: str = "people.mp4",
    caption: bool = False,
) -> VideoFixture:
    """The people video; `caption` adds CAPTION (the demo's), which the tests' ground truth does not know of."""
    import av

    out.mkdir(parents=True, exist_ok=True)
    photos = labelled_photos(shared)
    missing = [p for p in PEOPLE if len(photos.get(p, [])) < IN_VIDEO + 2]
    if missing:
        raise FileNotFoundError(f"not enough labelled photos for {missing} under {shared}")
    face_height = round(120 * height / HEIGHT)
    sprites = {(p, n): sprite(photos[PEOPLE[p]][n], face_height) for _, _, _, cast in TIMELINE for p, n, _ in cast}
    path = out / name
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast", "g": str(fps * 2)}
        total = int(TIMELINE[-1][1] * fps)
        for index in range(total):
            time = index / fps
            start, end, colour, cast = next(shot for shot in TIMELINE if shot[0] <= time < shot[1])
            frame = Image.new("RGB", (width, height), colour)
            draw = ImageDraw.Draw(frame)
            shade = tuple(min(255, c + 40) for c in colour)
            for x in range(0, width, 80):  # a little set dressing, constant within the shot
                draw.rectangle((x, height - 40, x + 40, height), fill=shade)
            for person, photo, motion in cast:
                picture, corner = _place(motion, (time - start) / (end - start), sprites[(person, photo)], width, height)
                frame.paste(picture, corner)
            if caption and CAPTION[0] <= time < CAPTION[1]:
                draw_caption(draw, CAPTION[2], width, height)
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    truth: dict[str, list[tuple[float, float]]] = {}
    for start, end, _, cast in TIMELINE:
        for person, _, _ in cast:
            segments = truth.setdefault(PEOPLE[person], [])
            if segments and abs(segments[-1][1] - start) < 1e-6:
                segments[-1] = (segments[-1][0], end)
            else:
                segments.append((start, end))
    fixture = VideoFixture(
        path, truth,
        enroll={p: photos[p][IN_VIDEO : IN_VIDEO + 3] for p in PEOPLE},
        used={p: photos[p][:IN_VIDEO] for p in PEOPLE},
    )
    (out / "truth.json").write_text(json.dumps(
        {"video": str(path), "segments": truth,
         "enroll": {p: [str(x) for x in v] for p, v in fixture.enroll.items()},
         "used": {p: [str(x) for x in v] for p, v in fixture.used.items()}}, indent=2))
    return fixture
