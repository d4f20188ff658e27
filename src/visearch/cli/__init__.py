"""The `visearch` command line. Only this layer (and the web app) turns errors into exit codes.

Each module registers its commands: `indexing` (index), `querying` (search,
stats, errors), `people` (people, clips), `moments` (moments, tags), `fancam`, `serving` (serve), `demo`, `scaling` (migrate, vector shards).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

from visearch.indexer.errors import ModelUnavailableError, VisearchError
from visearch.cli import cutting, demo, fancam, indexing, models, moments, people, querying, scaling, serving
from visearch.app.settings import DEFAULT_LIBRARY, Settings
from visearch.cli.common import EXIT_USAGE, command_settings


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; the environment is read here, once (`settings` replaces it, for tests)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        args.settings = command_settings(args, settings or Settings.from_env())
        return args.handler(args)
    except ModelUnavailableError as exc:
        print(f"visearch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `visearch … | head` closed the pipe: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 128 + signal.SIGPIPE
    except (VisearchError, ValueError, OSError) as exc:
        print(f"visearch: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("visearch: interrupted; finished items were saved", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="visearch", description="Visual search over your images: lens, text, OCR.")
    parser.add_argument(
        "--library", type=Path, default=None,
        help=f"library folder (default: $VISEARCH_LIBRARY or ./{DEFAULT_LIBRARY})",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    store = parser.add_argument_group("document store (Elasticsearch options also read VISEARCH_ES_* variables)")
    store.add_argument("--backend", choices=("sqlite", "elasticsearch"),
                       help="where a new library keeps its documents (default sqlite; existing libraries keep theirs)")
    store.add_argument("--es-url", help="Elasticsearch URL ($VISEARCH_ES_URL)")
    store.add_argument("--es-api-key", help="API key ($VISEARCH_ES_API_KEY)")
    store.add_argument("--es-user", help="basic-auth user ($VISEARCH_ES_USER; password from $VISEARCH_ES_PASSWORD)")
    store.add_argument("--es-password", help=argparse.SUPPRESS)
    store.add_argument("--es-ca-certs", type=Path, help="CA certificate file for https ($VISEARCH_ES_CA_CERTS)")
    store.add_argument("--es-prefix", help="index name prefix ($VISEARCH_ES_PREFIX, default visearch)")
    store.add_argument("--es-vectors", action="store_true",
                       help="new library: CLIP vectors in Elasticsearch (int8_hnsw kNN) instead of a FAISS file")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (indexing, querying, people, moments, fancam, cutting, serving, demo, scaling, models):
        module.register(commands)
    return parser
