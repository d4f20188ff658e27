"""One writer at a time per library: an flock on LIB/writer.lock, with the holder written inside.

The lock dies with its process, so a killed indexer leaves nothing stale behind; a second writer
waits a while or gets LibraryBusyError naming the holder's pid and command.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from visearch.errors import N_, Conflict


class LibraryBusyError(Conflict):
    """Another process is writing to the library."""


WRITER_LOCK = "writer.lock"


class WriterLock:
    """An exclusive flock on LIB/writer.lock, with the holder's pid and command written inside.

    Between processes the flock decides; between threads of one process (web requests) a
    re-entrant thread lock does, so one thread may nest `with library.writing():` blocks.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._handle = None
        self._depth = 0

    def hold(self, wait: float = 0.0) -> "_Holding":
        return _Holding(self, wait)

    def acquire(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        got = self._threads.acquire(timeout=wait) if wait > 0 else self._threads.acquire(blocking=False)
        if not got:
            raise LibraryBusyError(N_("another request is writing to %(library)s; try again in a moment"),
                                   code="library_busy", library=self.path.parent)
        try:
            if self._depth == 0:
                self._handle = self._flock(deadline)
            self._depth += 1
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._handle is not None:
            self._handle.close()  # closing releases the flock
            self._handle = None
        self._threads.release()

    def _flock(self, deadline: float):
        import fcntl

        handle = open(self.path, "a+")
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(handle)
                    handle.close()
                    raise LibraryBusyError(
                        N_("another visearch process (%(holder)s) is writing to %(library)s; wait for it to finish "
                           "(or stop it) and try again"), code="library_busy", holder=holder,
                        library=self.path.parent) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}: {' '.join(_command_line())}\n")
        handle.flush()
        return handle


class _Holding:
    """`with library.writing(wait):` — one acquisition, with its own wait."""

    def __init__(self, lock: WriterLock, wait: float) -> None:
        self.lock, self.wait = lock, wait

    def __enter__(self) -> "_Holding":
        self.lock.acquire(self.wait)
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


def _read_holder(handle) -> str:
    handle.seek(0)
    return handle.read().strip()[:200] or "unknown pid"


def _command_line() -> list[str]:
    return [os.path.basename(sys.argv[0] or "python"), *sys.argv[1:3]]
