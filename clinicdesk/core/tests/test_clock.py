"""The application clock: one place the time comes from, and nothing that goes around it."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinicdesk.core import clock as app_clock

PACKAGE = Path(__file__).resolve().parents[2]
NEW_YORK = ZoneInfo("America/New_York")

# Reads of the real time that bypass the application's clock: `module.attribute` called (or, for
# the first group, passed as a callable such as a model field default).
FORBIDDEN_CALLABLES = {("timezone", "now"), ("timezone", "localdate"), ("datetime", "now"), ("datetime", "utcnow")}
FORBIDDEN_CALLS = FORBIDDEN_CALLABLES | {("date", "today"), ("datetime", "today")}


def _time_reads(source: str) -> list[tuple[int, str]]:
    """(line, text) of every read of the real time in `source` that is not through core.clock.

    `timezone.localtime(x)` and `timezone.localdate(x)` with an argument only convert a given
    moment and are allowed; without one they read the clock.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            pair = (name, node.func.attr)
            if pair in FORBIDDEN_CALLS and not (pair == ("timezone", "localdate") and node.args):
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
            elif pair == ("timezone", "localtime") and not node.args:
                found.append((node.lineno, "timezone.localtime()"))
        elif isinstance(node, ast.keyword) and isinstance(node.value, ast.Attribute):
            owner = node.value.value
            if isinstance(owner, ast.Name) and (owner.id, node.value.attr) in FORBIDDEN_CALLABLES:
                found.append((node.value.lineno, f"{node.arg}={owner.id}.{node.value.attr}"))
    return found


def _product_modules() -> list[Path]:
    return [
        path
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and path != PACKAGE / "core" / "clock.py"
    ]


def test_the_checker_finds_every_kind_of_direct_time_read():
    source = (
        "from django.utils import timezone\nimport datetime as dt\n"
        "a = timezone.now()\nb = timezone.localdate()\nc = timezone.localtime()\n"
        "d = dt.datetime.now(dt.UTC)\ne = dt.date.today()\nf = models.DateTimeField(default=timezone.now)\n"
        "g = timezone.localtime(a)\nh = timezone.localdate(a)\n"
    )
    assert [line for line, _ in _time_reads(source)] == [3, 4, 5, 6, 7, 8]


def test_nothing_in_the_product_reads_the_time_except_through_the_clock():
    modules = _product_modules()
    assert len(modules) > 100
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
        for path in modules
        for line, text in _time_reads(path.read_text())
    ]
    assert offenders == [], "read the time through clinicdesk.core.clock instead"


def test_nothing_in_the_tests_reads_the_real_time_either():
    """Tests compare with what the application sees, which under `make test-clock` is not today."""
    tests = [path for path in PACKAGE.rglob("*.py") if "tests" in path.parts] + [PACKAGE.parent / "conftest.py"]
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
        for path in tests
        for line, text in _time_reads(path.read_text())
    ]
    assert offenders == []


def test_a_frozen_clock_stands_still_until_moved(clock):
    clock.set(datetime(2027, 3, 14, 6, 59, tzinfo=UTC))
    assert app_clock.now() == app_clock.now() == datetime(2027, 3, 14, 6, 59, tzinfo=UTC)
    clock.advance(minutes=2)
    assert app_clock.now() == datetime(2027, 3, 14, 7, 1, tzinfo=UTC)
    clock.advance(timedelta(days=1))
    assert app_clock.now() == datetime(2027, 3, 15, 7, 1, tzinfo=UTC)


def test_the_clock_refuses_a_naive_moment(clock):
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2027, 1, 1, 9, 0))  # noqa: DTZ001  (the point of the test)


def test_today_is_the_date_where_the_practice_is_not_in_greenwich(clock, settings):
    settings.TIME_ZONE = "America/New_York"
    # 31 December 2026, 23:30 in New York is already 1 January 2027 in UTC.
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=NEW_YORK))
    assert app_clock.today() == date(2026, 12, 31)
    assert app_clock.today("UTC") == date(2027, 1, 1)
    assert app_clock.today(ZoneInfo("Asia/Tokyo")) == date(2027, 1, 1)
    assert app_clock.local_now().tzinfo is not None and app_clock.local_now().hour == 23


def test_local_time_follows_the_clock_across_the_spring_change(clock, settings):
    settings.TIME_ZONE = "America/New_York"
    clock.set(datetime(2027, 3, 14, 6, 59, tzinfo=UTC))  # 01:59 EST
    assert app_clock.local_now().strftime("%H:%M %Z") == "01:59 EST"
    clock.advance(minutes=1)  # the clocks jump from 02:00 to 03:00
    assert app_clock.local_now().strftime("%H:%M %Z") == "03:00 EDT"


def test_a_starting_clock_begins_at_its_moment_and_runs():
    moment = datetime(2026, 12, 13, 23, 59, tzinfo=NEW_YORK)
    with app_clock.starting_at(moment):
        first = app_clock.now()
        assert timedelta(0) <= first - moment < timedelta(seconds=5)
        assert app_clock.now() >= first


def test_leaving_a_frozen_block_gives_back_the_clock_that_was_there():
    before = app_clock.install(None)
    app_clock.install(before)
    with app_clock.frozen(datetime(2030, 1, 1, tzinfo=UTC)):
        assert app_clock.now().year == 2030
    assert app_clock._source is before
