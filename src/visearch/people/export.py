"""Cut clips out of videos with the ffmpeg binary that imageio-ffmpeg ships."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from visearch.errors import N_
from visearch.indexer.errors import VisearchError


class ExportError(VisearchError):
    pass


def ffmpeg_binary() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise ExportError(N_("exporting clips needs imageio-ffmpeg (pip install imageio-ffmpeg)"),
                          code="ffmpeg_missing") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(arguments: list[str], what: str) -> None:
    completed = subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *arguments],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise ExportError(N_("ffmpeg failed to %(what)s: %(strip)s"), code="ffmpeg_failed", what=what,
                          strip=completed.stderr.strip()[-500:])


def cut_clip(video: Path, start: float, end: float, target: Path, *, exact: bool = True) -> Path:
    """Write [start, end) of `video` to `target`.

    Frame-exact by default: re-encoding (H.264/AAC) starts the clip on the very
    frame asked for. `exact=False` copies the streams instead, which is instant
    but snaps to the keyframe before `start`.
    """
    if end <= start:
        raise ExportError(N_("empty clip %(start)s-%(end)s s of %(video)s"), code="clip_empty", start=f'{start:.2f}',
                          end=f'{end:.2f}', video=video)
    target.parent.mkdir(parents=True, exist_ok=True)
    codecs = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac"] if exact \
        else ["-c", "copy"]
    run_ffmpeg(["-ss", f"{start:.3f}", "-i", str(video), "-t", f"{end - start:.3f}", *codecs,
          "-movflags", "+faststart", str(target)], f"cut {video.name} at {start:.2f}-{end:.2f} s")
    return target


def compile_reel(clips: list[Path], target: Path) -> Path:
    """Join clips into one file; they are re-encoded so sizes and codecs may differ."""
    if not clips:
        raise ExportError(N_("no clips to compile"), code="nothing_to_export")
    target.parent.mkdir(parents=True, exist_ok=True)
    inputs: list[str] = []
    for clip in clips:
        inputs += ["-i", str(clip)]
    # Scale every clip to the first one's frame size, then concatenate video (audio is dropped:
    # clips may lack it, and concat needs the same streams in every input).
    probe_width, probe_height = _frame_size(clips[0])
    chains = "".join(
        f"[{n}:v]scale={probe_width}:{probe_height}:force_original_aspect_ratio=decrease,"
        f"pad={probe_width}:{probe_height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25[v{n}];"
        for n in range(len(clips))
    )
    joined = "".join(f"[v{n}]" for n in range(len(clips)))
    run_ffmpeg([*inputs, "-filter_complex", f"{chains}{joined}concat=n={len(clips)}:v=1:a=0[out]", "-map", "[out]",
          "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", str(target)],
         f"compile {len(clips)} clips")
    return target


def _frame_size(path: Path) -> tuple[int, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.width - stream.width % 2, stream.height - stream.height % 2


def export_segments(segments: list[tuple[Path, float, float]], folder: Path, *, exact: bool = True) -> list[Path]:
    """One file per segment, named after its video and times."""
    outputs = []
    for number, (video, start, end) in enumerate(segments, 1):
        name = f"{number:03d}-{video.stem}-{start:08.2f}-{end:08.2f}.mp4".replace(":", "_")
        outputs.append(cut_clip(video, start, end, folder / name, exact=exact))
    return outputs


def export_spans(spans: list[dict], folder: Path | None, reel: Path | None, *, exact: bool = True) -> list[str]:
    """Cut spans ({"video", "start", "end"}: clips' and moments' JSON) to files in `folder` (a temporary
    one when only a reel is asked for) and join them into `reel`; the paths written."""
    files = export_segments([(Path(s["video"]), s["start"], s["end"]) for s in spans], folder or temporary_folder(),
                            exact=exact)
    if reel is not None:
        compile_reel(files, reel)  # no spans: an ExportError that says so, not a silent nothing
    return [str(f) for f in files] + ([str(reel)] if reel is not None else [])


def temporary_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="visearch-export-"))
