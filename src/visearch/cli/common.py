"""What every command shares: exit codes, the settings with the command's options, the library."""
from __future__ import annotations

from pathlib import Path

from visearch.app.settings import Settings

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def command_settings(args, settings: Settings) -> Settings:
    """The environment's settings with the global options the user typed in place of their variables."""
    return settings.with_options(
        library=args.library, es_url=args.es_url, es_prefix=args.es_prefix, es_api_key=args.es_api_key,
        es_user=args.es_user, es_password=args.es_password,
        es_ca_certs=str(args.es_ca_certs) if args.es_ca_certs else None,
        device=getattr(args, "device", None),
    )


def library_path(args) -> Path:
    return args.settings.library_path()


def open_library(args, *, create: bool = False, read_only: bool = False):
    """The library named by --library, on the backend the options ask for (new libraries) or it records."""
    from visearch.app.library import open_library as open_with

    backend = getattr(args, "backend", None)
    return open_with(args.settings, create=create, read_only=read_only, backend=backend,
                     es_vectors=getattr(args, "es_vectors", False),
                     explicit_es=backend == "elasticsearch" or bool(args.es_url))


def timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"
