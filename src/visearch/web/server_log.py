"""What `visearch serve` writes to its log: queue saturation at most every few seconds, requests on request.

Under load waitress warns "Task queue depth is N" for nearly every queued request (77 KB a minute
was measured); an operator needs to know the server is saturated, not to read it two thousand
times. The access log (one line per request) is off unless asked for (`--access-log`).
"""
from __future__ import annotations

import logging
import re
import sys
import threading
import time

QUEUE_LOGGER = "waitress.queue"
QUEUE_REPORT_SECONDS = 5.0
TOKEN = re.compile(r"(^|&)token=[^&]*")


class QueueWarnings(logging.Filter):
    """Lets one queue-depth warning through every `interval` seconds, with the count and deepest queue
    of those held back since the last."""

    def __init__(self, interval: float = QUEUE_REPORT_SECONDS, clock=time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._held = 0
        self._deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        with self._lock:
            now = self.clock()
            if now - self._last < self.interval:
                self._held += 1
                self._deepest = max(self._deepest, int(depth) if isinstance(depth, int) else 0)
                return False
            if self._held:
                record.msg = f"{record.msg} ({self._held} more such warnings in the last {now - self._last:.0f} s, " \
                             f"the deepest queue {self._deepest})"
            self._last, self._held, self._deepest = now, 0, 0
            return True


def quiet_queue_warnings(interval: float = QUEUE_REPORT_SECONDS) -> QueueWarnings:
    """Install the throttle on waitress's queue logger (once per process)."""
    logger = logging.getLogger(QUEUE_LOGGER)
    for existing in logger.filters:
        if isinstance(existing, QueueWarnings):
            return existing
    throttle = QueueWarnings(interval)
    logger.addFilter(throttle)
    return throttle


class AccessLog:
    """WSGI middleware: `127.0.0.1 "GET /api/stats" 200 812 B 3.1 ms` per request, to the given logger."""

    def __init__(self, app, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.log = logger or logging.getLogger("visearch.access")

    def __call__(self, environ, start_response):
        began = time.perf_counter()
        seen = {}

        def recording(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            seen["bytes"] = next((value for name, value in headers if name.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording)
        finally:
            query = TOKEN.sub(r"\1token=…", environ.get("QUERY_STRING", ""))  # never a write token in a log
            path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            self.log.info('%s "%s %s" %s %s B %.1f ms', environ.get("REMOTE_ADDR", "-"), environ.get("REQUEST_METHOD"),
                          path[:300], seen.get("status", "-"), seen.get("bytes", "-"),
                          (time.perf_counter() - began) * 1000)


def with_access_log(app):
    """`app` wrapped to log each request to stderr (logger `visearch.access`)."""
    logger = logging.getLogger("visearch.access")
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
    return AccessLog(app, logger)
