"""`visearch search`, `stats` and `errors`."""
from __future__ import annotations

import json
from pathlib import Path

from visearch.cli.common import EXIT_OK, library_path, open_library, timecode


def register(commands) -> None:
    search = commands.add_parser("search", help="search by photo (lens) or by text")
    what = search.add_mutually_exclusive_group(required=True)
    what.add_argument("--image", type=Path, help="query photo")
    what.add_argument("--text", help="query text")
    what.add_argument("--frame", metavar="VIDEO@SECONDS",
                      help="shop the moment: catalogue products in a video's frame (a path or id; 12.5 or 00:12.5)")
    search.add_argument("--box", help="x0,y0,x1,y1: search only this region of the photo or frame (pixels)")
    search.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    search.add_argument("--ocr", default=None, help="OCR for the query photo (default: the library's)")
    search.add_argument("--json", action="store_true")
    search.add_argument("--device", help="where the query's CLIP runs: cpu (default) or cuda[:N] ($VISEARCH_DEVICE)")
    search.add_argument("--local", action="store_true",
                        help="search in this process even when `visearch serve` runs for this library")
    search.set_defaults(handler=cmd_search)

    stats = commands.add_parser("stats", help="counts, encoder and backend of the library")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    errors = commands.add_parser("errors", help="files that failed to index, and why")
    errors.add_argument("--json", action="store_true")
    errors.set_defaults(handler=cmd_errors)



def cmd_search(args) -> int:
    from visearch.indexer.errors import BadBox
    from visearch.indexer.images import parse_box
    from visearch.app import searching

    try:
        box = parse_box(args.box) if args.box else None
    except BadBox as exc:
        raise ValueError(f"--{exc}") from None  # the option's name, as typed
    if box and not (args.image or args.frame):
        raise ValueError("--box applies to --image or --frame")
    photo = searching.open_photo(args.image) if args.image is not None else None  # before any model loads
    data = None if args.local or args.ocr or args.frame else _ask_server(args, box)
    if data is None:
        data = searching.search_library(args.settings, text=args.text, photo=photo, box=box, k=args.k, ocr=args.ocr,
                           frame=args.frame)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print_answer(data)
    return EXIT_OK


def print_answer(data: dict) -> None:
    """A search answer as lines: its notices, its verdict, a line per result."""
    for notice in data["notices"]:
        print(f"note: {notice}")
    if data.get("message"):
        print(f"{data['match']}: {data['message']}")
    for rank, result in enumerate(data["results"], 1):
        print(_result_line(rank, result))


def _ask_server(args, box) -> dict | None:
    """A running `visearch serve` of this library answers in a fraction of the time models take to load.
    The photo goes as the file the user named, and the box in its pixels, as a local search reads them."""
    import sys
    from urllib.error import HTTPError, URLError

    from visearch.cli.handoff import remote_search, running_server

    url = running_server(library_path(args))
    if url is None:
        return None
    if args.verbose:
        print(f"visearch: asking the server at {url} (its models are loaded; --local to search here)",
              file=sys.stderr)
    photo = args.image.expanduser() if args.image is not None else None
    try:
        return remote_search(url, text=args.text, image=photo, box=box, k=args.k)
    except HTTPError as exc:  # the server's own clear message (a bad photo, a bad box)
        try:
            message = json.loads(exc.read()).get("error")
        except ValueError:
            message = None
        if message and exc.code < 500:
            raise ValueError(message) from None
        return None
    except (URLError, OSError, ValueError):
        return None  # it went away mid-request: search here


def money(amount: float, currency: str) -> str:
    """189.00 EUR, 3,900 KRW: the currency's own decimals (English, as the command line is)."""
    from babel.numbers import UnknownCurrencyError, format_currency

    try:
        return format_currency(amount, currency, format="#,##0.00 ¤¤", locale="en") if currency else f"{amount:,.2f}"
    except (UnknownCurrencyError, ValueError):
        return f"{amount:,.2f} {currency}"


def _result_line(rank: int, result: dict) -> str:
    """One result of a `SearchResponse.to_json()` answer, as a line (local or from a server alike)."""
    evidence, why = result["evidence"], []
    local = evidence.get("local") or {}
    if "exact" in result["reasons"]:
        why.append(f"exact product, {local.get('inliers')} points")
    if "variant" in result["reasons"]:
        why.append(f"one of the variants this photo may show, {local.get('inliers')} points")
    if "also" in result["reasons"]:
        why.append("also in this photo")
    if "partial" in result["reasons"]:
        why.append(f"part of the package only ({local.get('coverage', 0):.0%} of it), e.g. a shared logo")
    if "visual" in result["reasons"] and evidence.get("vector_score") is not None:
        why.append(f"looks alike {evidence['vector_score']:.3f}")
    elif "visual" in result["reasons"]:
        why.append("matches the description")
    if "text" in result["reasons"]:
        why.append("text: " + ", ".join(evidence["text_terms"]))
    product = ""
    if result.get("product"):
        p = result["product"]
        price = f" {money(p['price'], p.get('currency', ''))}" if p.get("price") is not None else ""
        title, brand = p.get("title", ""), p.get("brand", "")
        name = title if brand and title.startswith(brand) else f"{brand} {title}".strip()  # 서울우유 1000ml, once
        product = f"  [{p['sku']}] {name}{price}".rstrip()
    where = f"{result['path']} @ {timecode(result['time'])}" if result["kind"] == "frame" else result["path"]
    return f"{rank:>3}. {result['score']:.3f}  {where}{product}  ({'; '.join(why)})"


def cmd_stats(args) -> int:
    from visearch.search.details import library_stats

    with open_library(args, read_only=True) as library:
        stats = {**library_stats(library), "library": str(library.root)}
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return EXIT_OK
    notes = stats.pop("notes")
    width = max(map(len, stats))
    for key, value in stats.items():
        print(f"{key:<{width}}  {', '.join(value) if isinstance(value, list) else value}")
    for note in notes:
        print(f"note: {note}")
    return EXIT_OK


def cmd_errors(args) -> int:
    from visearch.app.library import failures

    with open_library(args, read_only=True) as library:
        failed = failures(library)
    if args.json:
        print(json.dumps(failed, indent=2))
    elif not failed:
        print("no failed files")
    else:
        for failure in failed:
            print(f"{failure['path']}: {failure['reason']}")
    return EXIT_OK
