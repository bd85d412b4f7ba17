"""The database half of a backup: a consistent copy out, a restore in, and rows counted per table.

SQLite is copied with SQLite's online backup API from a separate read-only connection, so the
copy holds exactly what was committed when it began and the application keeps writing
meanwhile (WAL). PostgreSQL is dumped with ``pg_dump --format=custom`` inside a snapshot that
ClinicDesk exports and counts its rows in, so the counts in the manifest describe exactly the
dump. Connection settings reach pg_dump and pg_restore through PG* environment variables; the
password is never on a command line.

A restore writes only into an empty database: a SQLite path with no file yet (or an empty one),
or a PostgreSQL database without tables. pg_restore runs as one transaction, so a failure
leaves that database as empty as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import DatabaseError, connections

from .errors import BackupError, RestoreRefused

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

_PG_TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN {kinds}
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2
"""
_SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
)
_MIGRATIONS = "SELECT app, name FROM django_migrations ORDER BY id"


@dataclass(frozen=True)
class DatabaseSnapshot:
    """A copy of the database in the work folder, and what was in it."""

    path: Path
    tables: dict[str, int]
    migrations: list[list[str]]
    server_version: str


def vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_table_name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def _count_tables(cursor: Any, vendor: str) -> dict[str, int]:
    if vendor == "postgresql":
        cursor.execute(_PG_TABLES.format(kinds="('r', 'p')"))
        names = [
            (_pg_table_name(schema, table), f"{_quote(schema)}.{_quote(table)}") for schema, table in cursor.fetchall()
        ]
    else:
        cursor.execute(_SQLITE_TABLES)
        names = [(name, _quote(name)) for (name,) in cursor.fetchall()]
    counts = {}
    for label, quoted in names:
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608  (names from the catalogue, quoted)
        counts[label] = cursor.fetchone()[0]
    return counts


def _migrations(cursor: Any, tables: dict[str, int]) -> list[list[str]]:
    if "django_migrations" not in tables:
        raise BackupError(
            "The database has no django_migrations table: it is not a ClinicDesk database yet (run clinicdesk migrate)."
        )
    cursor.execute(_MIGRATIONS)
    return [[app, name] for app, name in cursor.fetchall()]


def table_counts(*, using: str = "default") -> dict[str, int]:
    """Rows per table of the database `using` (SQLite's own tables left out)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return _count_tables(cursor, connection.vendor)


# --- SQLite -------------------------------------------------------------------------------------


def sqlite_path(using: str = "default") -> Path:
    """The file of a SQLite database; BackupError for an in-memory one."""
    name = str(connections[using].settings_dict["NAME"])
    if not name or name == ":memory:" or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up or restored; configure a file.")
    return Path(name)


def _sqlite_snapshot(work: Path, using: str) -> DatabaseSnapshot:
    source_path = sqlite_path(using)
    if not source_path.is_file():
        raise BackupError(f"The SQLite database {source_path} does not exist.")
    target = work / "database.sqlite3"
    # A connection of its own: the copy holds only what was committed, whatever the caller's
    # connection has open, and "ro" can never create or change the source.
    source = sqlite3.connect(f"file:{quote(str(source_path.resolve()))}?mode=ro", uri=True, timeout=20)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy is one consistent read; steps in between would restart
        # whenever another connection writes, and might never finish on a busy database.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file in the archive
        cursor = copy.cursor()
        tables = _count_tables(cursor, "sqlite")
        migrations = _migrations(cursor, tables)
        version = copy.execute("SELECT sqlite_version()").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source_path}: {exc}.") from None
    finally:
        copy.close()
        source.close()
    return DatabaseSnapshot(target, tables, migrations, f"SQLite {version}")


def sqlite_target_refusal(path: Path) -> str | None:
    """Why `path` cannot receive a restore, or None when it is free (no file, or an empty one
    with no write-ahead log or journal beside it)."""
    if path.exists() and not path.is_file():
        return f"{path} is not a file"
    if path.exists() and path.stat().st_size > 0:
        try:
            reader = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
            try:
                names = [row[0] for row in reader.execute(_SQLITE_TABLES)]
            finally:
                reader.close()
        except sqlite3.Error:
            return f"{path} exists and is not an empty database"
        if names:
            return f"{path} already holds {len(names)} tables (e.g. {', '.join(names[:3])})"
        return f"{path} exists and is not empty"
    for suffix in ("-wal", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists() and side.stat().st_size > 0:
            return f"{side} exists beside it, so a database was in use there"
    return None


def sqlite_place(restored: Path, target: Path) -> None:
    """Move the restored file into place; never over a database that appeared meanwhile."""
    os.chmod(restored, 0o600)
    try:
        os.link(restored, target)
    except FileExistsError:
        if target.stat().st_size:
            raise RestoreRefused(f"{target} appeared while the archive was being read; nothing was changed.") from None
        os.replace(restored, target)
    except OSError:
        # No hard links on this file system: a plain rename, after one more look.
        if target.exists() and target.stat().st_size:
            raise RestoreRefused(f"{target} appeared while the archive was being read; nothing was changed.") from None
        os.replace(restored, target)
    else:
        os.unlink(restored)
    for suffix in ("-shm", "-wal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    fsync_dir(target.parent)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The environment that points pg_dump / pg_restore at this database (password included)."""
    from django.db.backends.postgresql.client import DatabaseClient

    _, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    options = settings_dict.get("OPTIONS") or {}
    for variable, value in (
        ("PGHOST", settings_dict.get("HOST") or options.get("host")),
        ("PGPORT", settings_dict.get("PORT") or options.get("port")),
        ("PGUSER", settings_dict.get("USER") or options.get("user")),
        ("PGDATABASE", settings_dict.get("NAME")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client (e.g. apt-get install postgresql-client)."
        )
    return found


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  (fixed argv)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise BackupError(f"{what} failed (exit {done.returncode}): {' | '.join(lines[-5:]) or 'no message'}")


def _pg_snapshot(work: Path, using: str) -> DatabaseSnapshot:
    import psycopg

    connection = connections[using]
    pg_dump = _pg_tool("pg_dump")
    target = work / "database.pgdump"
    try:
        raw = psycopg.connect(**connection.get_connection_params())
    except psycopg.Error as exc:
        raise BackupError(f"PostgreSQL is not reachable: {exc}".strip()) from None
    try:
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, version = cursor.fetchone() or ("", "")
            # Counted in the exported snapshot, which pg_dump then dumps: the same rows exactly.
            tables = _count_tables(cursor, "postgresql")
            migrations = _migrations(cursor, tables)
        _run(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
            env=pg_environment(connection.settings_dict),
            what="pg_dump",
        )
    except psycopg.Error as exc:
        raise BackupError(f"PostgreSQL refused the snapshot: {exc}".strip()) from None
    finally:
        raw.rollback()
        raw.close()
    return DatabaseSnapshot(target, tables, migrations, f"PostgreSQL {version}")


def pg_target_refusal(using: str) -> str | None:
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_PG_TABLES.format(kinds="('r', 'p', 'v', 'm', 'S', 'f')"))
            names = [_pg_table_name(schema, name) for schema, name in cursor.fetchall()]
    except DatabaseError as exc:
        raise RestoreRefused(
            f"PostgreSQL database {connection.settings_dict['NAME']} is not reachable ({str(exc).strip()}). "
            "Create it (createdb) and check DATABASE_URL. Nothing was changed."
        ) from None
    if names:
        database = connection.settings_dict["NAME"]
        return f"PostgreSQL database {database} already holds {len(names)} tables (e.g. {', '.join(names[:3])})"
    return None


def pg_restore(dump: Path, using: str) -> None:
    connection = connections[using]
    # Our connection holds no lock that pg_restore would wait for.
    connection.close()
    _run(
        [
            _pg_tool("pg_restore"),
            "--no-password",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        env=pg_environment(connection.settings_dict),
        what="pg_restore (rolled back: the database is as empty as before)",
    )


# --- Either -------------------------------------------------------------------------------------


def database_snapshot(work: Path, *, using: str = "default") -> DatabaseSnapshot:
    """Copy the database into `work` and count its rows, both from one consistent moment."""
    vendor = connections[using].vendor
    if vendor == "sqlite":
        return _sqlite_snapshot(work, using)
    if vendor == "postgresql":
        return _pg_snapshot(work, using)
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")


def target_refusal(*, using: str = "default") -> str | None:
    """Why the configured database cannot receive a restore, or None when it is empty.

    SQLite is looked at through the file system, never through Django's connection, which
    would create the file.
    """
    if connections[using].vendor == "sqlite":
        return sqlite_target_refusal(sqlite_path(using))
    return pg_target_refusal(using)
