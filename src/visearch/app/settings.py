"""Every `VISEARCH_*` variable, typed, with its default and meaning: read once at start-up.

`Settings.from_env()` is called by the CLI's `main` and by `create_app`, and the object is passed
down from there; nothing else reads the environment. docs/configuration.md's table is this
module's `VARIABLES`, printed by `python -m visearch.app.settings` (a test keeps the two equal).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

from visearch.storage.backends import StoreOptions
from visearch.storage.elastic.session import EsSettings
from visearch.storage.vectors.faiss_store import DEFAULT_ANN_THRESHOLD, DEFAULT_IVF_THRESHOLD
from visearch.storage.vectors.tuning import DEFAULT_TARGET_RECALL

DEFAULT_LIBRARY = "visearch-library"
TRUE = ("1", "true", "yes", "on")


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Variable:
    """One environment variable: the Settings field it fills, how to read it, and what it means."""

    name: str
    field: str
    meaning: str
    default: str = ""  # as docs/configuration.md shows it

    def parse(self, raw: str, kind: type):
        if kind is bool:
            return raw.strip().lower() in TRUE
        if kind is Path:
            return Path(raw).expanduser()
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"{self.name}={raw!r}: not a valid {kind.__name__}") from None


# The one table of variables; docs/configuration.md's table is printed from it.
VARIABLES: tuple[Variable, ...] = (
    Variable("VISEARCH_LIBRARY", "library", "default library folder", f"./{DEFAULT_LIBRARY}"),
    Variable("VISEARCH_OFFLINE", "offline", "never try to download weights (so does `HF_HUB_OFFLINE=1`)", "0"),
    Variable("VISEARCH_DEVICE", "device", "where CLIP runs: `auto` (indexing on CUDA when torch sees a GPU; "
             "queries on the CPU), `cpu` or `cuda[:N]`; `--device` wins", "auto"),
    Variable("VISEARCH_TORCH_THREADS", "torch_threads", "torch and onnxruntime threads for the encoder",
             "the cores this process may use"),
    Variable("VISEARCH_TOKEN", "token", "write token for `visearch serve`", ""),
    Variable("VISEARCH_SEARCH_CONCURRENCY", "search_concurrency",
             "model-heavy searches a server runs at once (the rest queue)", "half the cores"),
    Variable("VISEARCH_WRITE_WAIT", "write_wait",
             "seconds a change (rename, merge, tag, …) waits for another writer before it is refused", "5"),
    Variable("VISEARCH_ACCESS_LOG", "access_log", "`1`: `serve` logs one line per request", "0"),
    Variable("VISEARCH_ANN_THRESHOLD", "ann_threshold",
             "vectors above which FAISS switches from exact Flat to HNSW", f"{DEFAULT_ANN_THRESHOLD:_}".replace("_", " ")),
    Variable("VISEARCH_IVF_THRESHOLD", "ivf_threshold",
             "vectors above which it switches from HNSW to IVF-PQ with float16 re-ranking",
             f"{DEFAULT_IVF_THRESHOLD:_}".replace("_", " ")),
    Variable("VISEARCH_TARGET_RECALL", "target_recall",
             "recall@10 that efSearch / nprobe are tuned for when an index is built or has grown by a quarter",
             f"{DEFAULT_TARGET_RECALL:g}"),
    Variable("VISEARCH_FACE_REUSE", "face_reuse", "`0`: compute every video face's identity vector afresh instead "
             "of reusing a still face's from the sample before (for measuring)", "1"),
    Variable("VISEARCH_CHECKPOINT_SECONDS", "checkpoint_seconds",
             "an indexer run writes vectors, keypoints and documents to disk at least this often", "60"),
    Variable("VISEARCH_CHECKPOINT_ITEMS", "checkpoint_items", "... or after this many items", "4096"),
    Variable("VISEARCH_MODELS", "models", "where `visearch models fetch` installs the person models (MediaPipe's, "
             "from the npm registry)", "~/.cache/visearch/models"),
    Variable("VISEARCH_ES_URL", "es_url", "Elasticsearch URL (the `--es-*` options win)", ""),
    Variable("VISEARCH_ES_API_KEY", "es_api_key", "Elasticsearch API key; never written to the manifest", ""),
    Variable("VISEARCH_ES_USER", "es_user", "Elasticsearch basic-auth user", ""),
    Variable("VISEARCH_ES_PASSWORD", "es_password", "... and password", ""),
    Variable("VISEARCH_ES_CA_CERTS", "es_ca_certs", "CA certificate file for https", ""),
    Variable("VISEARCH_ES_PREFIX", "es_prefix", "index name prefix", "visearch"),
)


@dataclass(frozen=True)
class Settings:
    """What the environment configures; the CLI's options replace fields (`dataclasses.replace`)."""

    library: Path = Path(DEFAULT_LIBRARY)
    offline: bool = False
    device: str = "auto"
    torch_threads: int = 0  # 0: usable_cores()
    token: str = ""
    search_concurrency: int = 0  # 0: half the cores
    write_wait: float = 5.0
    access_log: bool = False
    ann_threshold: int = DEFAULT_ANN_THRESHOLD
    ivf_threshold: int = DEFAULT_IVF_THRESHOLD
    target_recall: float = DEFAULT_TARGET_RECALL
    face_reuse: bool = True
    checkpoint_seconds: float = 60.0
    checkpoint_items: int = 4096
    models: Path = Path("~/.cache/visearch/models")  # expanded where used (`models_folder`), not at import
    es_url: str = ""
    es_api_key: str = ""
    es_user: str = ""
    es_password: str = ""
    es_ca_certs: str = ""
    es_prefix: str = "visearch"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The settings the environment gives (empty values count as unset); a malformed number is a
        ValueError naming the variable."""
        environ = os.environ if environ is None else environ
        kinds = {f.name: f.type for f in fields(cls)}
        values = {}
        for variable in VARIABLES:
            raw = environ.get(variable.name, "")
            if raw.strip():
                values[variable.field] = variable.parse(raw, _python_type(kinds[variable.field]))
        if environ.get("HF_HUB_OFFLINE", "").strip().lower() in TRUE:
            values["offline"] = True
        return cls(**values)

    def with_options(self, **options) -> "Settings":
        """These settings with the options a user gave (None: not given) in place of the environment's."""
        return replace(self, **{key: value for key, value in options.items() if value not in (None, "")})

    @property
    def models_folder(self) -> Path:
        return self.models.expanduser()

    @property
    def threads(self) -> int:
        return self.torch_threads or usable_cores()

    @property
    def concurrent_searches(self) -> int:
        return max(1, self.search_concurrency or usable_cores() // 2)

    def library_path(self) -> Path:
        """The library folder, absolute: nothing later sees a relative path."""
        return Path(self.library).expanduser().absolute()

    def es(self, url: str = "", prefix: str = "") -> EsSettings:
        """The Elasticsearch connection: `url` and `prefix` (a manifest's, an option's) before the environment's."""
        return EsSettings(url=url or self.es_url, api_key=self.es_api_key, username=self.es_user,
                          password=self.es_password, ca_certs=self.es_ca_certs, prefix=prefix or self.es_prefix)

    def store_options(self, *, explicit_es: bool = False) -> StoreOptions:
        """How the search layer opens a library's stores. `explicit_es`: the user named a cluster for this
        run (an option), which then wins over the one a library records."""
        return StoreOptions(es=self.es(), es_explicit=explicit_es, ann_threshold=self.ann_threshold,
                            ivf_threshold=self.ivf_threshold, target_recall=self.target_recall,
                            write_wait=self.write_wait)


def _python_type(annotation) -> type:
    return {"Path": Path, "bool": bool, "int": int, "float": float, "str": str}.get(str(annotation), str)


def markdown_table() -> str:
    """docs/configuration.md's table of variables."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    rows += [f"| `{v.name}` | {v.meaning} | {v.default or '–'} |" for v in VARIABLES]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
