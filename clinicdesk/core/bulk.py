"""Fast inserts of many new, already validated rows: COPY on PostgreSQL, one prepared INSERT on SQLite.

For bulk writers (patient import, demo data, benchmark datasets) where the ORM's per-value
work in `bulk_create` costs more than the database does. A `RowWriter` is made once per
model and column list; it decides per column whether the Python value already is what the
database takes (text, numbers, booleans, foreign-key ids, and on PostgreSQL dates, times and
UUIDs) or must go through the field's own `get_db_prep_save` (encryption, SQLite's date and
UUID text forms). So an encrypted column is still encrypted and bound to its column.

What it does not do, by design: call `pre_save`. Derived columns (`auto_now` times, a blind
index of an encrypted value) are the caller's to fill; `row()` fills the rest from defaults.
It runs in the caller's transaction and refuses to run outside one, so a batch commits whole
or not at all. Primary keys are reserved first (`ids_reserve`), so children can be written in
the same batch without reading the parents back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

from .fields import BlindIndexField

_PLAIN = (
    models.CharField, models.TextField, models.EmailField, models.SlugField, models.IntegerField,
    models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveSmallIntegerField, models.BooleanField, BlindIndexField,
)  # fmt: skip
# psycopg adapts these itself; SQLite needs Django's text forms.
_PLAIN_ON_POSTGRES = (models.DateField, models.DateTimeField, models.UUIDField)


def _identity(value: Any) -> Any:
    return value


class RowWriter:
    """Insert rows of `model` given as tuples in the order of `columns` (field names)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.table = model._meta.db_table
        self.fields = [model._meta.get_field(name) for name in columns]
        self.columns = [f.column for f in self.fields]  # type: ignore[union-attr]  # concrete model fields and primary keys are never None here
        self.preps = [self._prep_for(f) for f in self.fields]
        self._names = list(columns)
        # Column defaults: constants once, callables (uuid4, timezone.now) on every row.
        self._static: dict[str, Any] = {}
        self._dynamic: dict[str, Callable[[], Any]] = {}
        for name, field in zip(columns, self.fields, strict=True):
            if field.has_default() and callable(field.default):  # type: ignore[union-attr]  # concrete model fields and primary keys are never None here
                self._dynamic[name] = field.default  # type: ignore[union-attr]  # concrete model fields and primary keys are never None here
            elif not getattr(field, "primary_key", False):
                self._static[name] = field.get_default()  # type: ignore[union-attr]  # concrete model fields and primary keys are never None here

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """A row tuple from `values` by field name, the columns it lacks taken from their defaults."""
        static, dynamic = self._static, self._dynamic
        return tuple(
            values[name] if name in values else dynamic[name]() if name in dynamic else static[name]
            for name in self._names
        )

    @staticmethod
    def _prep_for(field: Any) -> Callable[[Any], Any]:
        if isinstance(field, models.ForeignKey) or type(field) in _PLAIN:
            return _identity
        if connection.vendor == "postgresql" and type(field) in _PLAIN_ON_POSTGRES:
            return _identity
        return lambda value: field.get_db_prep_save(value, connection)

    def ids_reserve(self, count: int) -> list[int]:
        """`count` fresh primary keys for new rows, in the caller's transaction."""
        if not connection.in_atomic_block:
            raise RuntimeError("ids_reserve runs inside transaction.atomic()")
        if count <= 0:
            return []
        pk = self.model._meta.pk.column  # type: ignore[union-attr]  # concrete model fields and primary keys are never None here
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.table, pk, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the transaction began IMMEDIATE, so it holds the write lock and nobody
            # else can take these numbers before it commits. AUTOINCREMENT never reuses a key,
            # so start above both the highest row and the highest key ever handed out.
            cursor.execute(
                f'SELECT max(coalesce((SELECT max("{pk}") FROM "{self.table}"), 0), '  # noqa: S608 (names from _meta)
                "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
                [self.table],
            )
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """Write `rows`; returns how many. Each row holds a value per column, in order."""
        if not connection.in_atomic_block:
            raise RuntimeError("RowWriter.insert runs inside transaction.atomic()")
        preps = self.preps
        prepared = ([prep(value) for prep, value in zip(preps, row, strict=True)] for row in rows)
        names = ", ".join(f'"{c}"' for c in self.columns)
        connection.ensure_connection()
        # Raw driver calls, with their errors turned into Django's (IntegrityError, ...).
        with connection.wrap_database_errors:
            if connection.vendor == "postgresql":
                count = 0
                sql = f'COPY "{self.table}" ({names}) FROM STDIN'
                with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
                    for values in prepared:
                        copy.write_row(values)
                        count += 1
                return count
            batch = list(prepared)
            marks = ", ".join("?" * len(self.columns))
            connection.connection.executemany(f'INSERT INTO "{self.table}" ({names}) VALUES ({marks})', batch)  # noqa: S608
            return len(batch)


def values_present(model: type[models.Model], field_name: str, values: Sequence[Any]) -> set[Any]:
    """Which of `values` some row of `model` already has in `field_name` (one indexed query).

    On PostgreSQL the values go as one array parameter (`= ANY(%s)`): a thousand-item `IN`
    list costs the client more to bind than the database to answer.
    """
    if not values:
        return set()
    column = model._meta.get_field(field_name).column  # type: ignore[union-attr]  # concrete model fields and primary keys are never None here
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" = ANY(%s)', [list(values)])  # noqa: S608
        else:
            marks = ", ".join(["%s"] * len(values))
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IN ({marks})', list(values))  # noqa: S608
        return {row[0] for row in cursor.fetchall()}
