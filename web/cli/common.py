"""What every command shares: exit codes and the library location."""
from __future__ import annotations

from pathlib import Path

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def library_path(args) -> Path:
    from search.library import default_library_path

    return Path(args.library or default_library_path()).expanduser().absolute()


def es_settings(args):
    """Elasticsearch settings from the global options, falling back to the environment; None if no URL."""
    import os

    from search.elastic.session import EsSettings

    if not (getattr(args, "es_url", None) or os.environ.get("VISEARCH_ES_URL")):
        return None
    return EsSettings.from_env(
        url=args.es_url, prefix=args.es_prefix, api_key=args.es_api_key, username=args.es_user,
        password=args.es_password, ca_certs=str(args.es_ca_certs or ""),
    )


def open_library(args, *, create: bool = False, read_only: bool = False):
    """The library named by --library, on the backend the options ask for (new libraries) or it records."""
    from search.library import Library

    backend = getattr(args, "backend", None)
    es = es_settings(args) if backend == "elasticsearch" or getattr(args, "es_url", None) else None
    return Library.open(library_path(args), create=create, read_only=read_only, backend=backend, es=es,
                        es_vectors=getattr(args, "es_vectors", False))


def timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"
