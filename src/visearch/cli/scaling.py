"""`visearch migrate`, `merge-vectors`, `train-vectors`: moving a library between backends and sharded indexing."""
from __future__ import annotations

from pathlib import Path

from visearch.cli.common import EXIT_OK


def register(commands) -> None:
    migrate = commands.add_parser("migrate", help="copy the library's documents to another backend")
    migrate.add_argument("--to", choices=("elasticsearch", "sqlite"), required=True,
                         help="elasticsearch: onto the cluster (items.sqlite stays as a backup); "
                              "sqlite: back into items.sqlite here (the cluster's indices stay as they are)")
    migrate.set_defaults(handler=cmd_migrate)

    merge = commands.add_parser("merge-vectors", help="combine the vector shards of N indexing workers")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD_LIBRARY",
                       help="the worker libraries (folders) whose vectors and thumbnails to combine")
    merge.set_defaults(handler=cmd_merge_vectors)

    train = commands.add_parser("train-vectors", help="train an empty IVF-PQ index for workers to start from")
    train.add_argument("--out", type=Path, required=True, help="where to write the trained template (.faiss)")
    train.add_argument("--expected", type=int, default=0, help="how many vectors the full catalogue will hold")
    train.set_defaults(handler=cmd_train_vectors)


def cmd_migrate(args) -> int:
    from visearch.app.scaling import migrate

    report, es = migrate(args.settings, args.to)
    where = f"{es.url} (indices {es.prefix}-*)" if es else "items.sqlite"
    kept = "items.sqlite is kept as a backup" if es else "the cluster's indices are left as they were"
    print(f"moved {report} to {where}; the library now uses {args.to}, {kept}")
    return EXIT_OK


def cmd_merge_vectors(args) -> int:
    from visearch.app.scaling import merge_vectors

    report = merge_vectors(args.settings, args.shards)
    print(f"merged {report.vectors} vectors from {len(args.shards)} shards into {report.target} "
          f"({report.kind}, {report.method}); {report.thumbnails} thumbnails copied")
    return EXIT_OK


def cmd_train_vectors(args) -> int:
    from visearch.app.scaling import train_vectors

    size, root = train_vectors(args.settings, args.out, expected=args.expected)
    print(f"trained on {size} vectors of {root}: start workers with `index --vectors-template {args.out}`")
    return EXIT_OK
