"""Triggers that keep rows from changing, and how to lift one for a single maintenance transaction.

Some tables refuse changes to their rows in the database itself: the audit trail, a signed
note, an addendum. Re-encryption under a new key (`clinicdesk rotate-keys`) must still rewrite
their stored bytes: the ciphertext changes, the plaintext and its signature do not. An app that
guards a table registers here how to drop and reinstall its guard; `lifted()` drops it inside
the caller's transaction and puts it back before that transaction commits, so no other
transaction ever sees the table unguarded (PostgreSQL also holds the table locked meanwhile).
Core knows no app: apps register from their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

Statements = Callable[[str], list[str]]  # vendor -> SQL statements


@dataclass(frozen=True)
class RowGuard:
    name: str
    tables: frozenset[str]
    drop: Statements
    install: Statements


_GUARDS: dict[str, RowGuard] = {}


def register(*, name: str, tables: set[str] | frozenset[str], drop: Statements, install: Statements) -> None:
    _GUARDS[name] = RowGuard(name, frozenset(tables), drop, install)


def guard_of(table: str) -> RowGuard | None:
    return next((guard for guard in _GUARDS.values() if table in guard.tables), None)


@contextmanager
def lifted(guard: RowGuard | None) -> Iterator[None]:
    """Drop `guard`'s triggers for the body of the caller's transaction (None: nothing to lift)."""
    if guard is None:
        yield
        return
    if connection.get_autocommit():
        raise RuntimeError("lift a row guard only inside a transaction (transaction.atomic)")
    with connection.cursor() as cursor:
        for statement in guard.drop(connection.vendor):
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in guard.install(connection.vendor):
            cursor.execute(statement)
