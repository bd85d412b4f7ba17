"""The demo practice is built in steps that each app registers from its AppConfig.ready().

`clinicdesk demo` runs them in order. Core knows no app: an app that has demo data registers a
step here, so scheduling or billing can add theirs later without touching the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoOptions:
    patients: int = 2000
    seed: int = 2026
    lines: list[str] = field(default_factory=list)  # what a step wants printed at the end
    # The run's rich Progress on a terminal (`clinicdesk demo`), where a long step shows its bar;
    # None when nothing is shown (a test, --quiet, output to a file).
    progress: Any = None


@contextmanager
def step_progress(options: DemoOptions, description: str, total: int) -> Iterator[Callable[[], None]]:
    """`advance()` for a step's own bar of `total` items on the run's progress display; it does
    nothing when there is no display. The bar goes when the step ends."""
    progress = options.progress
    if progress is None:
        yield lambda: None
        return
    task = progress.add_task(description, total=total)
    try:
        yield lambda: progress.advance(task)
    finally:
        progress.remove_task(task)


DemoStep = Callable[[DemoOptions], str]
_STEPS: dict[str, tuple[int, DemoStep]] = {}


def register(*, name: str, order: int) -> Callable[[DemoStep], DemoStep]:
    """Register `func(options) -> summary` as the demo step `name`; lower `order` runs first."""

    def decorate(func: DemoStep) -> DemoStep:
        _STEPS[name] = (order, func)
        return func

    return decorate


def steps() -> list[tuple[str, DemoStep]]:
    return [(name, func) for name, (_, func) in sorted(_STEPS.items(), key=lambda item: item[1][0])]
