"""Reading a video's text where it changes: the plan for each sampled frame, the reads, and the spans.

The default (`--ocr-frames changes`) reads each shot's first sample whole; every later sample is compared
with the one before at a 96×54 grey thumbnail, and only the regions that changed are read. Text that stays on
screen (a logo, a scoreboard that does not change) is read once and extended in time. While the picture
moves (a pan, a moving background), overlays are what holds still (edges that stay put): the regions that
began to hold still after two steps that did not, or stopped after two that did, are read, and text found
where the picture began to hold still was there a sample earlier too. When the picture begins to move, or
too much changes at once, the frame is read whole, at most every WHOLE_EVERY seconds.

Reading is capped at READ_BUDGET frames' worth of pixels a second of video (over 10 s), so burned-in
subtitles on every frame at a high sample rate cannot make indexing crawl: what goes unread is counted and
said with -v. `keyframes` reads shot starts only, `all` every sample whole.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from visearch.indexer.records import FrameRecord, OcrLine
from visearch.indexer.text_spans import (GRID, SCENE, Box, FrameText, TextSpan, build_spans, cell_boxes, changed_cells,
                                detail_changes, iou, overlaps, thumbnails)

log = logging.getLogger(__name__)

MODES = ("keyframes", "changes", "all")
WHOLE_EVERY = 2.0  # seconds: a moving scene is read whole at most this often within a shot
READ_BUDGET = 1.0  # frames' worth of pixels read a second of video, at most (over WINDOW seconds)
WINDOW = 10.0
MARGIN = 12  # px around a changed region, so a line's edge is read too
MAX_REGIONS = 6  # regions read in one frame; beyond, a still scene is read whole (if allowed), a moving one
                 # where the widest are (overlays are lines; what holds still by chance is not)
MIN_CROP = (240, 128)  # px: a region is read at least this large, so the detector sees whole lines
EDGE = 3  # px: a line this close to a region's inner edge was cut by it
WIDEN = 6  # line heights a region grows across to take in a cut line
MAX_WIDEN = 2  # times a region grows before what it read is taken
KNOWN_LINES = 64  # line boxes remembered from the latest reads
LINE_ASPECT = 1.5  # a line's width over its height, at least, for a cut to be widened for
STILL = 5.0  # mean abs grey difference under which a cell held still: an overlay over a moving picture
EDGES = 16.0  # edge a still cell holds (grey steps per px at 4x the grid): text does, a smooth backdrop not
MOVING_MIN_AREA = 12  # grown cells a region of a moving scene needs: a lone flickering cell is not an overlay


@dataclass
class TextPlan:
    """Where a frame's text is read: `whole`, or the `regions` around where it `changed` (frame pixels), or
    nothing (no regions)."""

    whole: bool = False
    changed: list[Box] = field(default_factory=list)  # what was there is gone, unless read again
    regions: list[Box] = field(default_factory=list)  # where it is read: the changes with a margin, grown
    carry: bool = True  # text elsewhere is still there (False: keyframes mode, between reads: unknown)
    settled: list[Box] = field(default_factory=list)  # changes where a moving picture began to hold still:
    since: float | None = None  # text read there was already there at this earlier sample


class TextPlanner:
    """Decides, sample by sample in decode order, where each frame's text is read."""

    def __init__(self, mode: str, size: tuple[int, int]) -> None:
        if mode not in MODES:
            raise ValueError(f"--ocr-frames is one of {', '.join(MODES)}, not {mode!r}")
        self.mode, self.size = mode, size
        self.previous: tuple | None = None  # the last sample's thumbnails (grey, edges, fine grey)
        self.moving = False  # most of the picture changed from the sample before the last to the last
        self.came = np.zeros(GRID[::-1], bool)  # cells that began to hold still at the last step (read then)
        self.previous_time = 0.0
        self.still: list[np.ndarray] = []  # the last two steps' cells that held still (edges that stayed), newest last
        self.last_whole = -1e9
        self.reads: list[tuple[float, float]] = []  # (time, share of the frame) of recent reads, for the budget
        self.capped = 0  # samples whose changes went unread (the cap)

    def plan(self, time: float, shot_start: bool, image) -> TextPlan:
        grey, edges, fine = thumbnails(image) if self.mode == "changes" else (None, None, None)
        before, before_time, was_moving = self.previous, self.previous_time, self.moving
        self.previous, self.previous_time = (grey, edges, fine), time
        if self.mode == "keyframes" and not shot_start:
            return TextPlan(carry=False)
        history = self.still
        if grey is not None and before is not None:  # edges that stayed put: text and graphics over a moving picture
            still = ~changed_cells(before[0], grey, STILL) & (edges > EDGES) & (before[1] > EDGES)
            self.still = (history + [still])[-2:]
            changed = detail_changes(before[2], fine)
            self.moving = bool(changed_cells(before[0], grey).mean() > SCENE)
        if self.mode == "all" or shot_start or before is None:
            self.last_whole = time
            self._afford(time, 1.0, needed=True)
            if shot_start and grey is not None and before is not None:  # what held still over the cut was there
                return TextPlan(whole=True, settled=cell_boxes(still, self.size, min_area=MOVING_MIN_AREA),
                                since=before_time)
            return TextPlan(whole=True)
        if not self.moving:
            return self._regions(time, cell_boxes(changed, self.size))
        if len(history) < 2 or not was_moving:
            return self._whole_or_nothing(time)  # the picture began to move
        # Over a moving picture: what holds still now after two steps that did not, and what went after two
        # that did, or after it came (a cell that flickers, at an overlay's edge, is neither).
        came_cells, came_before = still & ~history[1] & ~history[0], self.came
        self.came = came_cells
        came = cell_boxes(came_cells, self.size, min_area=MOVING_MIN_AREA)
        went = cell_boxes(~still & history[1] & (history[0] | came_before), self.size, min_area=MOVING_MIN_AREA)
        widest = sorted(came + went, key=lambda box: box[0] - box[2])[:MAX_REGIONS]  # lines are wide; chance not
        return self._regions(time, widest, settled=[box for box in came if box in widest], since=before_time)

    def _regions(self, time: float, regions: list[Box], *, settled: list[Box] | None = None,
                 since: float | None = None) -> TextPlan:
        if not regions:
            return TextPlan()
        if len(regions) > MAX_REGIONS:
            return self._whole_or_nothing(time)
        grown = [grow(box, self.size) for box in regions]
        pixels = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in grown)
        if not self._afford(time, pixels / (self.size[0] * self.size[1])):
            return TextPlan()
        return TextPlan(changed=regions, regions=grown, settled=settled or [], since=since)

    def _whole_or_nothing(self, time: float) -> TextPlan:
        """A moving scene's overlays are read whole at most every WHOLE_EVERY seconds."""
        if time - self.last_whole < WHOLE_EVERY or not self._afford(time, 1.0):
            return TextPlan()
        self.last_whole = time
        return TextPlan(whole=True)

    def _afford(self, time: float, share: float, *, needed: bool = False) -> bool:
        """Whether a read of `share` of the frame fits the budget (a `needed` one is done and counted anyway)."""
        self.reads = [(t, s) for t, s in self.reads if t > time - WINDOW]
        if not needed and sum(s for _, s in self.reads) + share > READ_BUDGET * WINDOW:
            self.capped += 1
            return False
        self.reads.append((time, share))
        return True


def grow(box: Box, size: tuple[int, int]) -> Box:
    """A changed region with a margin, at least MIN_CROP (the detector's view, where a cut line shows). Pure."""
    x0, y0, x1, y1 = box[0] - MARGIN, box[1] - MARGIN, box[2] + MARGIN, box[3] + MARGIN
    x0, x1 = _at_least(x0, x1, MIN_CROP[0], size[0])
    y0, y1 = _at_least(y0, y1, MIN_CROP[1], size[1])
    return (x0, y0, x1, y1)


def _at_least(low: float, high: float, length: float, limit: int) -> tuple[float, float]:
    extra = max(0.0, length - (high - low)) / 2
    low, high = low - extra, high + extra
    shift = max(0.0, -low) - max(0.0, high - limit)
    return max(0.0, low + shift), min(float(limit), high + shift)


def take_in(box: Box, lines: list[Box], size: tuple[int, int]) -> Box:
    """The region grown to hold whole the known lines it overlaps (with a margin). Pure."""
    for x0, y0, x1, y1 in lines:
        if overlaps(box, (x0, y0, x1, y1)):
            box = (max(0.0, min(box[0], x0 - MARGIN)), max(0.0, min(box[1], y0 - MARGIN)),
                   min(float(size[0]), max(box[2], x1 + MARGIN)), min(float(size[1]), max(box[3], y1 + MARGIN)))
    return box


def widen(box: Box, lines: list[OcrLine], size: tuple[int, int]) -> Box:
    """The region grown to take in the lines its edges cut (a score read as `1:0 JP`): by WIDEN line heights
    across, one line height up or down. The same box when no line touches an inner edge. Pure."""
    x0, y0, x1, y1 = box
    for line in lines:
        lx0, ly0, lx1, ly1 = line.bounds
        height = max(1.0, ly1 - ly0)
        if lx1 - lx0 < LINE_ASPECT * height:  # a mark or a lone letter, not a line the edge cut
            continue
        x0 = max(0.0, x0 - WIDEN * height) if lx0 <= x0 + EDGE and x0 > 0 else x0
        x1 = min(float(size[0]), x1 + WIDEN * height) if lx1 >= x1 - EDGE and x1 < size[0] else x1
        y0 = max(0.0, y0 - height) if ly0 <= y0 + EDGE and y0 > 0 else y0
        y1 = min(float(size[1]), y1 + height) if ly1 >= y1 - EDGE and y1 < size[1] else y1
    return (x0, y0, x1, y1)


class RegionReader:
    """Reads a frame's regions at the scale the whole frame is read at: the detector enlarges what it is given
    to its side, so a small region goes to a sibling with a small side (reading a 240 px crop at 960 px
    would cost as much as the whole frame)."""

    SIDES = (320, 480, 640)
    BAND_ASPECT = 3  # a region this many times wider than high is read, not probed
    PROBE_SIDE = 320  # a region larger than this is first looked at here: most large changes (people moving)
                      # hold no text, and the look costs a tenth of the read (and of a second look at junk)

    def __init__(self, ocr) -> None:
        self.ocr = ocr
        self.siblings = {side: ocr.with_detect_side(side) for side in self.SIDES if side < ocr.detect_side}
        self.probe = ocr.prober(self.PROBE_SIDE)
        self.probed = self.skipped = 0  # large regions looked at first, and those found to hold no text
        self.known: deque[Box] = deque(maxlen=KNOWN_LINES)  # where lines were read lately: a clock's region
        self._known_lock = threading.Lock()               # takes in the whole clock at once, not after a re-read

    def read(self, image, box: Box) -> list[OcrLine]:
        """The lines in `box` of `image` (a whole frame), in the frame's pixels."""
        crop = image.crop(tuple(round(v) for v in box))
        wanted = max(crop.size) * min(1.0, self.ocr.detect_side / max(image.size))
        band = crop.width >= self.BAND_ASPECT * crop.height  # a caption band: the probe would shrink its text most
        if wanted > self.PROBE_SIDE and not band:
            self.probed += 1
            if not self.probe.read(crop):
                self.skipped += 1
                return []
        reader = next((self.siblings[side] for side in sorted(self.siblings) if side >= wanted), self.ocr)
        dx, dy = round(box[0]), round(box[1])
        return [OcrLine(line.text, tuple((px + dx, py + dy) for px, py in line.box), line.confidence)  # type: ignore[misc]
                for line in reader.read(crop)]

    def read_grown(self, image, box: Box) -> tuple[list[OcrLine], Box]:
        """The lines in a region and the region finally read: taking in the lines read there lately, and grown
        while it cut a line."""
        with self._known_lock:
            box = take_in(box, list(self.known), image.size)
        for _ in range(MAX_WIDEN + 1):
            lines = self.read(image, box)
            grown = widen(box, lines, image.size)
            if grown == box:
                break
            box = grown
        self.remember(lines)
        return lines, box

    def remember(self, lines: list[OcrLine]) -> None:
        with self._known_lock:
            self.known.extend(line.bounds for line in lines
                              if line.bounds[2] - line.bounds[0] >= LINE_ASPECT * (line.bounds[3] - line.bounds[1]))

    def read_plan(self, image, plan: TextPlan) -> list[OcrLine]:
        """The lines a plan reads, in the frame's pixels; the plan's regions become those finally read."""
        if plan.whole:
            lines = self.ocr.read(image)
            self.remember(lines)
            return lines
        lines: list[OcrLine] = []
        for number, region in enumerate(plan.regions):
            found, plan.regions[number] = self.read_grown(image, region)
            lines += [line for line in found if not any(_same_line(line, seen) for seen in lines)]
        return lines


def _same_line(a: OcrLine, b: OcrLine) -> bool:
    """One line read twice, by two regions grown into each other."""
    return iou(a.bounds, b.bounds) > 0.5


def spans_of(frames: list[FrameRecord], shots, interval: float, duration: float) -> list[TextSpan]:
    """The video's text spans from its frames' reads; each frame's `ocr` becomes the lines on screen then
    (read, or carried from before), so a frame is found by the text it shows."""
    if not frames or all(frame.text_plan is None for frame in frames):
        return []
    spans_by_shot = {shot.index: (shot.start, shot.end) for shot in shots}
    texts = [FrameText(f.time, f.shot, spans_by_shot.get(f.shot, (0.0, duration)), f.ocr, f.text_plan.changed,
                       f.text_plan.whole, f.text_plan.carry, f.text_plan.settled, f.text_plan.since)
             if f.text_plan is not None
             else FrameText(f.time, f.shot, spans_by_shot.get(f.shot, (0.0, duration)), carry=False)
             for f in frames]
    spans, shown = build_spans(texts, interval)
    for frame, lines in zip(frames, shown):
        frame.ocr = list(lines)
    return spans
