"""`visearch serve`."""
from __future__ import annotations

import errno
import sys
from visearch.cli.common import EXIT_OK, EXIT_USAGE


def register(commands) -> None:
    serve = commands.add_parser("serve", help="the web UI and JSON API (waitress)")
    serve.add_argument("--device", help="where query CLIP runs: cpu (default) or cuda[:N] ($VISEARCH_DEVICE)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=8,
                       help="request threads (default 8: pages and media keep flowing while searches run)")
    serve.add_argument("--token", help="write token (default: $VISEARCH_TOKEN, or a new one off loopback)")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a host name the server answers to besides loopback and --host (repeatable)")
    serve.add_argument("--access-log", action="store_true", default=None,
                       help="log one line per request to stderr (default: $VISEARCH_ACCESS_LOG, else off)")
    serve.set_defaults(handler=cmd_serve)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be served, or None: checked before anything is printed or loaded."""
    import socket

    if not 0 < port < 65536:
        return f"port {port} is not a valid port number (1-65535)"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is already in use on {host}: stop what is using it, or pick another with --port"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def cmd_serve(args) -> int:
    settings = args.settings.with_options(token=args.token, access_log=args.access_log)
    return serve_library(settings, args.host, args.port, threads=args.threads, allowed_hosts=args.allowed_host)


def serve_library(settings, host: str = "127.0.0.1", port: int = 5000, *, threads: int = 8,
                  allowed_hosts: list[str] = ()) -> int:
    """Serve the settings' library until Ctrl+C or SIGTERM; an exit code."""
    import secrets
    import signal

    from waitress import serve

    from visearch.app.library import manifest_version
    from visearch.web import create_app, security
    from visearch.cli.handoff import announce
    from visearch.web.server_log import quiet_queue_warnings, with_access_log

    library = settings.library_path()
    if manifest_version(library) is None:
        print(f"visearch: there is no library at {library}.\n"
              f"Make one with `visearch --library {library} index PHOTOS_FOLDER` (or `make demo` for the sample "
              f"catalogue), or point --library / $VISEARCH_LIBRARY at an existing one.", file=sys.stderr)
        return EXIT_USAGE
    problem = port_problem(host, port)
    if problem:
        print(f"visearch: {problem}", file=sys.stderr)
        return EXIT_USAGE
    token = settings.token or (None if is_loopback(host) else secrets.token_urlsafe(18))
    hosts = security.allowed_hosts(host, [*allowed_hosts, *_machine_names(host)])
    instance = secrets.token_hex(8)
    app = create_app({"LIBRARY": str(library), "WRITE_TOKEN": token, "ALLOWED_HOSTS": sorted(hosts),
                      "INSTANCE": instance}, settings)
    shown = "localhost" if is_loopback(host) else host
    print(f"visearch: serving {library} on http://{shown}:{port}/ (Ctrl+C to stop)")
    if token:
        print(f"visearch: changes (rename, merge, forget) need the token; open "
              f"http://{shown}:{port}/?token={token} once in your browser")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` too leaves the library as it found it
    quiet_queue_warnings()  # a saturated queue is reported every few seconds, not per request
    wsgi = with_access_log(app) if settings.access_log else app
    with announce(library, host, port, instance):  # `visearch search` may ask this server
        serve(wsgi, host=host, port=port, threads=threads, ident="visearch")
    return EXIT_OK


def _machine_names(host: str) -> list[str]:
    """Bound to every interface: this machine's own names and addresses may be used to reach it."""
    import socket

    if host not in ("0.0.0.0", "::"):
        return []
    names = {socket.gethostname(), socket.getfqdn()}
    try:
        names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        pass
    return sorted(names)
