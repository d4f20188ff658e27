"""One SQLite connection per library file, shared by its document and face stores.

Both stores are views of the same items.sqlite: faces join items, browse
filters join faces. They share the connection and the lock that serialises
threads on it (web workers), rather than one borrowing the other's.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from visearch.errors import N_
from visearch.indexer.errors import VisearchError
from visearch.storage.faces import cover_score
from visearch.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

MAX_PARAMETERS = 500  # ids per `IN (...)`: well under SQLite's bound-parameter limit


class SchemaTooNewError(VisearchError):
    pass


class SchemaOutdatedError(VisearchError):
    pass


class Database:
    """The connection (`connection`) and its lock (`lock`); hold the lock for every use."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        uri = f"file:{self.path}?mode=ro" if read_only else f"file:{self.path}"
        self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
        self.connection.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self.migrated_from = SCHEMA_VERSION
        self.connection.execute("PRAGMA foreign_keys = ON")
        self.connection.create_function("cover_score", 3, cover_score, deterministic=True)
        if not read_only:
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.execute("PRAGMA synchronous = NORMAL")
            self.migrate()
        elif self.schema_version < SCHEMA_VERSION:
            self._upgrade_first()

    def _upgrade_first(self) -> None:
        """A file from an older visearch opened to read (`search` before `index`): upgrade it first, since
        every query expects this version's columns. Another process may be doing the same."""
        try:
            Database(self.path).close()
        except sqlite3.OperationalError as exc:
            if self.schema_version < SCHEMA_VERSION:  # not a race lost to another reader: it cannot be written
                raise SchemaOutdatedError(
                    N_("%(path)s is from an older visearch (schema %(version)s) and could not be upgraded "
                       "(%(detail)s): run `visearch index` on it once where it can be written"),
                    code="schema_old", path=self.path, version=self.schema_version, detail=exc) from None

    @property
    def schema_version(self) -> int:
        return self.connection.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        """Apply the schema steps this file lacks, each in its own transaction (`migrated_from` says from where)."""
        version = self.schema_version
        self.migrated_from = version
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                N_("%(path)s has schema version %(version)s; this visearch knows up to %(known)s: upgrade it"),
                code="schema_too_new", path=self.path, version=version, known=SCHEMA_VERSION)
        for step in range(version, SCHEMA_VERSION):
            with self.connection:
                self.connection.executescript(f"BEGIN; {MIGRATIONS[step]} PRAGMA user_version = {step + 1}; COMMIT;")

    def commit(self) -> None:
        with self.lock:
            self.connection.commit()

    def close(self) -> None:
        """Commit and close; the connection is closed even when the commit fails (a full disk)."""
        with self.lock:
            try:
                self.connection.commit()
            finally:
                self.connection.close()


def placeholders(values) -> str:
    """`?,?,?` for an `IN (...)` over `values` (never empty: `IN ()` is a syntax error)."""
    return ",".join("?" * len(values)) or "NULL"
