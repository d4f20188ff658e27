"""What every command shares: exit codes and the library location."""
from __future__ import annotations

from pathlib import Path

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def library_path(args) -> Path:
    from search.library import default_library_path

    return args.library or default_library_path()


def timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"
