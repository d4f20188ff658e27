"""`visearch serve` and `visearch demo`."""
from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from indexer.errors import ModelUnavailableError
from web.cli.common import EXIT_OK, EXIT_USAGE, library_path


def register(commands) -> None:
    serve = commands.add_parser("serve", help="the web UI and JSON API (waitress)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=8,
                       help="request threads (default 8: pages and media keep flowing while searches run)")
    serve.add_argument("--token", help="write token (default: $VISEARCH_TOKEN, or a new one off loopback)")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a host name the server answers to besides loopback and --host (repeatable)")
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="generate the fixture catalogue, index it and run sample searches")
    demo.add_argument("--out", type=Path, default=Path("fixtures/out"), help="where to write the fixtures")
    demo.add_argument("--no-serve", action="store_true", help="stop after the sample searches")
    demo.add_argument("--port", type=int, default=5000)
    demo.set_defaults(handler=cmd_demo)


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
    import secrets

    from waitress import serve

    from search.library import MANIFEST
    from web import create_app, security

    library = library_path(args)
    if not (library / MANIFEST).is_file():
        print(f"visearch: there is no library at {library}.\n"
              f"Make one with `visearch --library {library} index PHOTOS_FOLDER` (or `make demo` for the sample "
              f"catalogue), or point --library / $VISEARCH_LIBRARY at an existing one.", file=sys.stderr)
        return EXIT_USAGE
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"visearch: {problem}", file=sys.stderr)
        return EXIT_USAGE
    token = args.token or os.environ.get("VISEARCH_TOKEN") or None
    if not is_loopback(args.host) and not token:
        token = secrets.token_urlsafe(18)
    hosts = security.allowed_hosts(args.host, [*args.allowed_host, *_machine_names(args.host)])
    instance = secrets.token_hex(8)
    app = create_app({"LIBRARY": str(library), "WRITE_TOKEN": token, "ALLOWED_HOSTS": sorted(hosts),
                      "INSTANCE": instance})
    shown = "localhost" if is_loopback(args.host) else args.host
    print(f"visearch: serving {library} on http://{shown}:{args.port}/ (Ctrl+C to stop)")
    if token:
        print(f"visearch: changes (rename, merge, forget) need the token; open "
              f"http://{shown}:{args.port}/?token={token} once in your browser")
    from web.cli.handoff import announce

    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` too leaves the library as it found it
    with announce(library, args.host, args.port, instance):  # `visearch search` may ask this server
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="visearch")
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


def cmd_demo(args) -> int:
    """Offline-friendly tour: falls back to the tiny encoder when the default weights are absent."""
    from fixtures.generate import generate
    from indexer.models.clip import DEFAULT_CLIP, parse_clip_spec
    from indexer.models.clip_weights import resolve_checkpoint

    problem = None if args.no_serve else port_problem("127.0.0.1", args.port)
    if problem:  # before minutes of indexing, not after
        print(f"visearch: {problem} (make demo PORT=…)", file=sys.stderr)
        return EXIT_USAGE
    out = generate(args.out)
    library = library_path(args)
    clip = DEFAULT_CLIP
    try:
        resolve_checkpoint(parse_clip_spec(DEFAULT_CLIP))
    except ModelUnavailableError as exc:
        print(f"demo: the default CLIP model is not available here:\n{exc}\n")
        print("demo: continuing with the 'tiny' encoder: semantic text-to-image search is OFF; "
              "OCR, catalogue and near-duplicate search work.\n")
        clip = "tiny"
    inputs = [str(out.catalog_dir)]
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if shared.is_dir():  # the sample faces make a people video for the People pages
        from fixtures.video import generate_video

        inputs.append(str(generate_video(shared, args.out / "video").video))
    from web.cli import main

    code = main(["--library", str(library), "index", *inputs, "--catalog", str(out.catalog_csv), "--clip", clip])
    if code:
        return code
    print("\n$ visearch search --text 'AX-2040'")
    main(["--library", str(library), "search", "--text", "AX-2040", "-k", "3"])
    photo = out.photos[1]
    print(f"\n$ visearch search --image {photo}")
    code = main(["--library", str(library), "search", "--image", str(photo), "-k", "3"])
    if code or args.no_serve:
        return code
    print("\nStarting the web UI (Ctrl+C to stop)…")
    return main(["--library", str(library), "serve", "--port", str(args.port)])


