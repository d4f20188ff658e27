"""`visearch search` asks a running `visearch serve` of the same library, whose models are loaded.

`serve` writes `serve.json` into the library folder (its local URL, pid and a random instance id)
and removes it when it stops. `search` reads it, checks that the process lives and that the server
answers with the same instance id, and sends the query; any doubt, and it searches locally.
Loading CLIP and OCR in a fresh process takes seconds; the server answers in a fraction of one.
"""
from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib import request
from urllib.error import URLError

HANDOFF = "serve.json"
STATUS_TIMEOUT = 0.5  # seconds: a server that does not answer this fast is not worth waiting for
SEARCH_TIMEOUT = 60.0


@contextmanager
def announce(library: Path, host: str, port: int, instance: str):
    """Tell later `visearch search` processes where this server is, while it runs."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host
    path = Path(library) / HANDOFF
    record = {"url": f"http://{reachable}:{port}", "pid": os.getpid(), "instance": instance}
    try:
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(record))
        os.replace(temp, path)
    except OSError:  # a read-only library: searches just load models themselves
        path = None
    try:
        yield
    finally:
        if path is not None:
            try:
                if json.loads(path.read_text()).get("instance") == instance:  # not a newer server's
                    path.unlink()
            except (OSError, ValueError):
                pass


def running_server(library: Path) -> str | None:
    """The URL of a live `visearch serve` of this library whose models are loaded, or None."""
    try:
        record = json.loads((Path(library) / HANDOFF).read_text())
        os.kill(int(record["pid"]), 0)
        status = _get(record["url"] + "/api/status", STATUS_TIMEOUT)
    except (OSError, ValueError, KeyError, TypeError, URLError):
        return None
    if status.get("instance") != record.get("instance") or status.get("models") != "ready":
        return None
    return record["url"]


def remote_search(url: str, *, text: str | None = None, image: Path | None = None, box=None, k: int = 10) -> dict:
    """The server's answer: the same JSON as `SearchResponse.to_json()`."""
    if image is not None:
        fields = {"k": str(k)} | ({"box": ",".join(f"{v:g}" for v in box)} if box else {})
        body, content_type = _multipart(fields, "image", image)
    else:
        body, content_type = json.dumps({"text": text, "k": k}).encode(), "application/json"
    answer = request.Request(url + "/api/search", data=body, headers={"Content-Type": content_type}, method="POST")
    with request.urlopen(answer, timeout=SEARCH_TIMEOUT) as response:
        return json.loads(response.read())


def _get(url: str, timeout: float) -> dict:
    with request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{_header_safe(path.name)}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _header_safe(name: str) -> str:
    """A file name for a multipart header: no quotes, backslashes or line breaks to end the header early."""
    return "".join(ch for ch in name if ch not in '"\\\r\n') or "photo"
