"""The one clock every part of ClinicDesk reads.

Services, selectors, views, model defaults and commands ask this module for the time instead
of calling ``django.utils.timezone.now`` or ``datetime.now``, so that tests can set the time
of the whole application at once — a Sunday at 23:59, the night the clocks change, the last
day of a year — without patching anything.

- ``now()`` is an aware datetime in UTC.
- ``today(zone)`` is the calendar date at that moment in ``zone`` (a ``ZoneInfo`` or a key such
  as ``"America/Chicago"``); without a zone, the practice's ``TIME_ZONE``.
- ``frozen(at)`` (a context manager) and ``freeze(at)`` stop the clock at ``at``; the returned
  ``FrozenClock`` moves only when told (``advance``, ``set``).
- ``starting_at(at)`` makes the clock start at ``at`` and then tick with real time, which is
  what the whole-suite runs at awkward moments use: every test begins at the same moment and
  code that waits for time to pass still sees it pass.

Third-party code (Django's sessions, allauth, axes, the task queue) keeps the real time; the
clinic's own records and rules follow this clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


def _real_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _real_now


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return _source()


def zone_named(zone: tzinfo | str | None) -> tzinfo:
    """``zone`` as a tzinfo: a tzinfo as given, a key through ZoneInfo, None as the practice's zone."""
    if zone is None:
        from django.conf import settings

        return ZoneInfo(settings.TIME_ZONE)
    if isinstance(zone, str):
        return ZoneInfo(zone)
    return zone


def today(zone: tzinfo | str | None = None) -> date:
    """Today's date in ``zone`` (the practice's time zone when None)."""
    return now().astimezone(zone_named(zone)).date()


def local_now(zone: tzinfo | str | None = None) -> datetime:
    """The current moment as wall-clock time in ``zone`` (the practice's time zone when None)."""
    return now().astimezone(zone_named(zone))


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The clock needs an aware datetime (with a time zone), not a naive one.")
    return at.astimezone(UTC)


class FrozenClock:
    """A stopped clock. ``advance`` and ``set`` move it; nothing else does."""

    def __init__(self, at: datetime) -> None:
        self.at = _aware(at)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the clock forward by ``delta`` (or ``timedelta(**parts)``) and return the new time."""
        self.at = self.at + (delta if delta is not None else timedelta(**parts))
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = _aware(at)
        return self.at


class TickingClock:
    """A clock that starts at a chosen moment and then runs at real speed."""

    def __init__(self, at: datetime) -> None:
        self.start = _aware(at)
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def install(source: Callable[[], datetime] | None) -> Callable[[], datetime]:
    """Make ``source`` the application's clock (None: the real one). Returns the previous source."""
    global _source
    previous = _source
    _source = source or _real_now
    return previous


def freeze(at: datetime) -> FrozenClock:
    """Stop the clock at ``at`` until ``install(None)``; returns the clock to move it with."""
    clock = FrozenClock(at)
    install(clock)
    return clock


@contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    """Within the block the clock stands at ``at`` (and moves only when told)."""
    clock = FrozenClock(at)
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)


@contextmanager
def starting_at(at: datetime) -> Iterator[TickingClock]:
    """Within the block the clock starts at ``at`` and runs at real speed."""
    clock = TickingClock(at)
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)
