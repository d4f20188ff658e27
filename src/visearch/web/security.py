"""What a browser-facing server owes its user: no script from data, no write from another site,
no answer to a foreign host name.

- Every response carries a Content-Security-Policy without inline script, `nosniff`, a strict
  referrer policy and `frame-ancestors 'none'`.
- Requests whose `Host` is not one of the allowed names are refused (DNS rebinding: a page on
  evil.example resolving to 127.0.0.1 would otherwise be served as same-origin).
- Unsafe methods (POST, PUT, PATCH, DELETE) from another origin are refused, judged by
  `Sec-Fetch-Site` and `Origin`; write bodies must be JSON (see `visearch.web.params`), which a cross-site
  form cannot send without a CORS preflight that this server never grants.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from visearch.errors import N_, VisearchError

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "ip6-localhost")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Refused(VisearchError):
    """A request this server will not answer (a foreign Host, a cross-site write): 400 or 403."""

    def __init__(self, status: int, template: str, /, code: str = "refused", **values) -> None:
        self.status = status
        super().__init__(template, code=code, **values)


def allowed_hosts(bind_host: str = "127.0.0.1", extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    """Loopback names, the bound address (unless a wildcard) and the names the user allowed."""
    hosts = set(LOOPBACK_NAMES) | {h.strip().lower().strip("[]") for h in extra if h.strip()}
    if bind_host not in ("0.0.0.0", "::", ""):
        hosts.add(bind_host.lower().strip("[]"))
    return hosts


def host_name(host_header: str) -> str:
    """`Host` → its name without port or IPv6 brackets, lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_request(allowed: set[str] | None) -> None:
    """Raise Refused for a foreign Host or a cross-origin write."""
    if allowed is not None and host_name(request.host) not in allowed:
        raise Refused(400, N_("this server does not answer to the host name %(host)s; start it with --allowed-host "
                              "NAME to allow it"), code="host_refused", host=repr(host_name(request.host)))
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise Refused(403, N_("cross-site requests may not change this library"), code="cross_site")
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(origin, request.host_url):
        raise Refused(403, N_("requests from %(origin)s may not change this library"), code="cross_site",
                      origin=origin)


def same_origin(origin: str, host_url: str) -> bool:
    if origin == "null":
        return False
    a, b = urlsplit(origin), urlsplit(host_url)
    return (a.scheme, a.hostname, a.port or _default_port(a.scheme)) == (
        b.scheme, b.hostname, b.port or _default_port(b.scheme))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def http_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs become links; `javascript:`, `data:` and the rest are dropped."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
