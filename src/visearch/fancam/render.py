"""Write a fancam: crop each frame along the camera path, scale, caption, encode, add the sound.

Video is encoded with PyAV (libx264); the original audio is then cut from the
same start time and muxed in by the ffmpeg that imageio-ffmpeg ships, so
picture and sound come from one clock (bench/fancam_eval.py measures the
offset). Everything is written to a temporary file beside the target and
renamed at the end: a failed render leaves nothing at `--out`.
"""
from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from visearch.errors import N_
from visearch.fancam.camera import Crop
from visearch.fancam.cast import FancamError
from visearch.fancam.follow import decoded, pixels_of
from visearch.people.export import run_ffmpeg

VIDEO_ASPECT = 16 / 9  # a grid is laid out to come closest to a screen's shape


@dataclass(frozen=True, slots=True)
class Layout:
    rows: int
    cols: int
    tile: tuple[int, int]  # width, height, even

    @property
    def size(self) -> tuple[int, int]:
        return self.cols * self.tile[0], self.rows * self.tile[1]


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def grid_layout(count: int, tile_aspect: float, height: int) -> Layout:
    """Rows × columns for `count` tiles whose whole is closest to 16:9, `height` px tall in all."""
    best = None
    for rows in range(1, count + 1):
        cols = math.ceil(count / rows)
        if (rows - 1) * cols >= count:
            continue  # an empty row
        shape = cols * tile_aspect / rows
        score = abs(math.log(shape / VIDEO_ASPECT))
        if best is None or score < best[0] - 1e-9:
            best = (score, rows, cols)
    _, rows, cols = best
    tile_height = _even(height / rows)
    return Layout(rows, cols, (_even(tile_height * tile_aspect), tile_height))


def caption_strip(text: str, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """A name drawn once, as (RGB pixels, alpha 0-1), for the bottom of a tile."""
    from PIL import Image, ImageDraw, ImageFont

    size = max(12, height // 22)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        font = ImageFont.load_default(size)
    strip_height = int(size * 1.8)
    image = Image.new("RGBA", (width, strip_height), (0, 0, 0, 110))
    draw = ImageDraw.Draw(image)
    left = max(4, (width - draw.textlength(text, font=font)) / 2)
    draw.text((left, (strip_height - size) / 2 - size * 0.1), text, font=font, fill=(255, 255, 255, 255))
    pixels = np.asarray(image, dtype=np.float32)
    return pixels[:, :, :3], pixels[:, :, 3:] / 255.0


def _cut(pixels: np.ndarray, crop: Crop, tile: tuple[int, int]) -> np.ndarray:
    """The crop scaled to the tile; where it overhangs the frame (the wide shot), black bars."""
    import cv2

    height, width = pixels.shape[:2]
    x0, y0, x1, y1 = crop.box
    vx0, vy0, vx1, vy1 = max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)
    sx, sy = tile[0] / (x1 - x0), tile[1] / (y1 - y0)
    tx0, ty0 = max(0, round((vx0 - x0) * sx)), max(0, round((vy0 - y0) * sy))
    tx1, ty1 = min(tile[0], round((vx1 - x0) * sx)), min(tile[1], round((vy1 - y0) * sy))
    part = pixels[int(vy0):max(int(vy0) + 1, int(np.ceil(vy1))), int(vx0):max(int(vx0) + 1, int(np.ceil(vx1)))]
    if (tx0, ty0, tx1, ty1) == (0, 0, tile[0], tile[1]):
        return cv2.resize(part, tile, interpolation=cv2.INTER_AREA if part.shape[1] > tile[0] else cv2.INTER_LINEAR)
    out = np.zeros((tile[1], tile[0], 3), np.uint8)
    if tx1 > tx0 and ty1 > ty0:
        out[ty0:ty1, tx0:tx1] = cv2.resize(part, (tx1 - tx0, ty1 - ty0), interpolation=cv2.INTER_AREA)
    return out


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary file beside `target`, renamed onto it only when the block succeeds."""
    folder = target.parent
    if not folder.is_dir():
        raise FancamError(N_("%(folder)s: the output folder does not exist"), code="output_folder_missing",
                          folder=folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FancamError(N_("%(folder)s: the output folder is not writable"), code="output_folder_not_writable",
                          folder=folder)
    handle, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".part.mp4", dir=folder)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide the fancam from a web server
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def render(video: Path, rotation: int, first: int, last: int, paths: list[list[Crop]], names: list[str],
           layout: Layout, target: Path, *, captions: bool,
           progress: Callable[[float], None] | None = None,
           finish: Callable[[np.ndarray, int, int], np.ndarray] | None = None) -> float:
    """Encode frames `first`..`last` of `video`, one tile per camera path; returns the start time (s).
    `finish(tile, member, frame)` may change each tile before its caption (the focus-cam blur)."""
    import av

    strips = [caption_strip(name, *layout.tile) for name in names] if captions else []
    canvas = np.zeros((layout.size[1], layout.size[0], 3), np.uint8)
    start_time = None
    with av.open(str(target), "w", format="mp4") as output:
        stream = None
        for index, time, frame, source in decoded(video):
            if index < first:
                continue
            if index > last:
                break
            if stream is None:
                stream = output.add_stream("libx264", rate=source.average_rate or 25)
                stream.width, stream.height, stream.pix_fmt = layout.size[0], layout.size[1], "yuv420p"
                stream.options = {"crf": "21", "preset": "superfast"}
                start_time = time
            pixels = pixels_of(frame, rotation)
            for number, path in enumerate(paths):
                row, col = divmod(number, layout.cols)
                w, h = layout.tile
                tile = canvas[row * h:(row + 1) * h, col * w:(col + 1) * w]
                tile[:] = _cut(pixels, path[index - first], layout.tile)
                if finish is not None:
                    tile[:] = finish(tile, number, index - first)
                if strips:
                    rgb, alpha = strips[number]
                    band = tile[h - rgb.shape[0]:]
                    band[:] = (band * (1 - alpha) + rgb * alpha).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                output.mux(packet)
            if progress is not None and (index - first) % 25 == 0:
                progress((index - first) / max(1, last - first))
        if stream is None:
            raise FancamError(N_("%(video)s: no frames to render between frames %(first)s and %(last)s"),
                              code="fancam_no_frames", video=video, first=first, last=last)
        for packet in stream.encode():
            output.mux(packet)
    return start_time or 0.0


def has_audio(video: Path) -> bool:
    import av

    with av.open(str(video)) as container:
        return bool(container.streams.audio)


def add_audio(picture: Path, source: Path, start: float, target: Path) -> None:
    """Mux the source's first audio track, from `start` on, under the rendered picture."""
    run_ffmpeg(["-i", str(picture), "-ss", f"{start:.6f}", "-i", str(source), "-map", "0:v:0", "-map", "1:a:0",
                "-c:v", "copy", "-c:a", "aac", "-b:a", "160k", "-shortest", "-movflags", "+faststart", "-f", "mp4",
                str(target)], f"add the sound of {source.name}")
