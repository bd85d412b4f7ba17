from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinicdesk.core.demo import DemoOptions, steps


class Command(BaseCommand):
    help = (
        "Load the demo practice (idempotent: a second run adds nothing) and print the demo logins. "
        "Each step is shown on stderr as it runs: a progress bar on a terminal, one line per step otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Load without printing anything.")
        parser.add_argument("--patients", type=int, default=2000, help="How many synthetic patients (default 2000).")
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed: the same seed gives the same practice."
        )

    def handle(self, *args, **options):
        demo = DemoOptions(patients=max(0, options["patients"]), seed=options["seed"])
        quiet = options["quiet"]
        console = Console(file=self.stderr._out, stderr=True)
        if not quiet and console.is_terminal:
            summaries = self._with_bar(demo, console)
        else:
            summaries = self._with_lines(demo, quiet)
        if quiet:
            return
        self.stdout.write("Demo practice ready — " + "; ".join(summaries) + ".")
        for line in demo.lines:
            self.stdout.write(line)

    def _with_bar(self, demo: DemoOptions, console: Console) -> list[str]:
        """One bar over the steps, the running step's name beside it; a long step adds its own bar."""
        chosen = steps()
        summaries = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            demo.progress = progress
            overall = progress.add_task("Demo practice", total=len(chosen))
            for name, step in chosen:
                progress.update(overall, description=f"Demo practice: {name}")
                summaries.append(f"{name}: {step(demo)}")
                progress.advance(overall)
            progress.update(overall, description="Demo practice")
            demo.progress = None
        return summaries

    def _with_lines(self, demo: DemoOptions, quiet: bool) -> list[str]:
        """One line when a step starts and one when it ends, for logs and pipes (no bar to redraw)."""
        chosen = steps()
        summaries = []
        for number, (name, step) in enumerate(chosen, start=1):
            if not quiet:
                self.stderr.write(f"Demo step {number}/{len(chosen)}: {name}…")
            started = time.monotonic()
            summary = step(demo)
            summaries.append(f"{name}: {summary}")
            if not quiet:
                self.stderr.write(
                    f"Demo step {number}/{len(chosen)}: {name} done in {time.monotonic() - started:.1f} s"
                )
        return summaries
