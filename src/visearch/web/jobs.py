"""Fancams made in the background for the web: start a job, poll it, fetch the file.

One job runs at a time (a render keeps both cores busy) and a few may wait. Each
job's state is written beside its file in `<library>/fancams/`, so a finished
fancam is still there after a restart, and a job the restart interrupted says so
instead of spinning for ever. Only the newest fancams are kept.
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from visearch.errors import N_
from visearch.indexer.errors import VisearchError

log = logging.getLogger(__name__)

JOB_ID = r"[0-9a-f]{16}"
MAX_WAITING = 3
KEEP = 20  # finished fancams kept on disk


class JobsBusy(VisearchError):
    """Too many fancams waiting: the API answers 429."""

    kind = "busy"


@dataclass
class Job:
    id: str
    request: dict
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    error: str = ""
    result: dict = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def json(self) -> dict:
        data = asdict(self)
        data["progress"] = round(self.progress, 3)
        data["file"] = f"/fancams/{self.id}.mp4" if self.state == "done" else None
        data["result"] = {k: v for k, v in self.result.items() if k != "path"}
        return data


class FancamJobs:
    def __init__(self, services, folder: Path) -> None:
        self.services = services
        self.folder = folder
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fancam")
        self._load()

    def _load(self) -> None:
        """Jobs from an earlier run: finished ones stay; unfinished ones were cut off by the restart."""
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                job = Job(**json.loads(path.read_text()))
            except (OSError, ValueError, TypeError):
                continue
            if job.state in ("queued", "running"):
                job.state, job.error = "failed", "interrupted: the server restarted before it finished"
            self._jobs[job.id] = job

    def start(self, wanted) -> Job:
        """Queue a checked FancamRequest (app/fancams.py); its file goes to this folder."""
        request = {key: value for key, value in vars(wanted).items() if key != "out"}
        with self._lock:
            waiting = sum(1 for job in self._jobs.values() if job.state in ("queued", "running"))
            if waiting > MAX_WAITING:
                raise JobsBusy(N_("%(waiting)s fancams are being made already; try again when one has finished"),
                               code="fancams_busy", waiting=waiting)
            job = Job(secrets.token_hex(8), request)
            self._jobs[job.id] = job
        self._save(job)
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self, limit: int = 20) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda job: -job.created)[:limit]

    def file(self, job_id: str) -> Path | None:
        job = self.get(job_id)
        path = self.folder / f"{job_id}.mp4"
        return path if job is not None and job.state == "done" and path.is_file() else None

    def _run(self, job: Job) -> None:
        from visearch.fancam.make import FancamRequest
        from visearch.app.fancams import make

        job.state = "running"
        self._save(job)
        generation = None
        try:
            generation = self.services.lease()  # a library removed meanwhile fails the job, not the thread
            fields = dict(job.request)
            request = FancamRequest(fields.pop("video"), self.folder / f"{job.id}.mp4", **fields)
            people = self.services.people_model() if request.blur else None
            result = make(generation.library, request, people=people,
                          progress=lambda share: setattr(job, "progress", share))
            job.result, job.state, job.progress = result.json(), "done", 1.0
        except VisearchError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # a bug: logged with its traceback; the user sees that it failed
            log.exception("fancam job %s failed", job.id)
            job.state, job.error = "failed", f"internal error ({type(exc).__name__}); see the server log"
        finally:
            if generation is not None:
                self.services.release(generation)
        self._save(job)
        self._prune()

    def _save(self, job: Job) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{job.id}.json.tmp"
        temporary.write_text(json.dumps(asdict(job)))
        temporary.replace(self.folder / f"{job.id}.json")

    def _prune(self) -> None:
        with self._lock:
            done = sorted((j for j in self._jobs.values() if j.state in ("done", "failed")), key=lambda j: -j.created)
            for job in done[KEEP:]:
                del self._jobs[job.id]
                for suffix in (".mp4", ".json"):
                    (self.folder / f"{job.id}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
