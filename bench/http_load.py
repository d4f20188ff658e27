"""HTTP load on loopback: N clients for T seconds against `visearch serve`, p50/p99 per route.

    python bench/http_load.py [--clients 16] [--seconds 60] [--threads 8] [--library DIR]

Without --library it generates the fixture catalogue and indexes it with `tiny` first. The
server runs in its own process; clients are threads here, each looping over a mix of pages,
media, text searches and photo searches. Bounded: it stops after --seconds and only ever
talks to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_library(work: Path) -> tuple[Path, Path]:
    from visearch.demo.generate import generate
    from visearch.app.indexing import IndexRequest, index
    from visearch.app.settings import Settings

    fixtures = generate(work / "fixtures")
    library = work / "lib"
    index(Settings.from_env().with_options(library=library),
          IndexRequest(paths=[fixtures.catalog_dir], catalog=fixtures.catalog_csv, clip="tiny"))
    return library, fixtures.photos[0]


def multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def requests_mix(base: str, photo: bytes) -> list[tuple[str, callable]]:
    def get(path):
        return lambda: urllib.request.urlopen(base + path, timeout=60).read()

    def text():
        request = urllib.request.Request(base + "/api/search", data=b'{"text": "kettle"}',
                                         headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(request, timeout=60).read()

    def lens():
        body, kind = multipart("image", "photo.jpg", photo)
        request = urllib.request.Request(base + "/api/search", data=body, headers={"Content-Type": kind})
        return urllib.request.urlopen(request, timeout=60).read()

    return [("page /", get("/")), ("page /browse", get("/browse")), ("api browse", get("/api/browse?per_page=24")),
            ("api item", get("/api/items/1")), ("thumb", get("/thumb/1")), ("text search", text),
            ("photo search", lens)]


def run_clients(base: str, photo: bytes, clients: int, seconds: float) -> tuple[dict, dict]:
    mix = requests_mix(base, photo)
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(number)
        while time.monotonic() < stop:
            name, call = rng.choice(mix)
            began = time.perf_counter()
            try:
                call()
                ok = True
            except (urllib.error.URLError, OSError):
                ok = False
            with lock:
                (times[name].append(time.perf_counter() - began) if ok else None)
                if not ok:
                    errors[name] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=None, help="waitress threads (default: serve's)")
    parser.add_argument("--library", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="http-load-"))
    library, photo = (args.library, None) if args.library else build_library(work)
    photo_bytes = photo.read_bytes() if photo else (ROOT / "fixtures").glob("*.jpg").__next__().read_bytes()
    port = free_port()
    command = [sys.executable, "-m", "visearch", "--library", str(library), "serve", "--port", str(port)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    # The server's log goes to a file, never to a pipe nobody reads while it runs: a full pipe (64 KB) blocks
    # the server on its next log line, and every client times out at once.
    log = (work / "serve.log").open("w+")
    server = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1"),
                              stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if b'"ready"' in urllib.request.urlopen(base + "/api/status", timeout=1).read():
                    break
            except OSError:
                pass
            time.sleep(0.2)
        times, errors = run_clients(base, photo_bytes, args.clients, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.seek(0)
        stderr = log.read()
    total = sum(len(v) for v in times.values())
    print(f"{args.clients} clients, {args.seconds:.0f} s, loopback, waitress threads {args.threads or 'default'}: "
          f"{total} requests ({total / args.seconds:.1f}/s), {sum(errors.values())} errors")
    print(f"{'route':<14} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name in sorted(times, key=lambda n: -np.median(times[n])):
        values = np.asarray(times[name]) * 1000
        print(f"{name:<14} {len(values):>6} {np.percentile(values, 50):8.0f} {np.percentile(values, 99):8.0f} "
              f"{errors.get(name, 0):>7}")
    every = np.concatenate([np.asarray(v) for v in times.values()]) * 1000
    print(f"{'all':<14} {len(every):>6} {np.percentile(every, 50):8.0f} {np.percentile(every, 99):8.0f}")
    queue = sum("Task queue depth" in line for line in stderr.splitlines())
    print(f"server log: {len(stderr.encode()) / 1024:.1f} KB, {queue} queue-depth lines (at most one per 5 s)")
    if "Traceback" in stderr:
        print("server log has tracebacks:\n" + stderr[-2000:])


if __name__ == "__main__":
    main()
