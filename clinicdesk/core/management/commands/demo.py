from __future__ import annotations

from django.core.management.base import BaseCommand

from clinicdesk.core.demo import DemoOptions, steps


class Command(BaseCommand):
    help = "Load the demo practice (idempotent: a second run adds nothing) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Load without printing anything.")
        parser.add_argument("--patients", type=int, default=2000, help="How many synthetic patients (default 2000).")
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed: the same seed gives the same practice."
        )

    def handle(self, *args, **options):
        demo = DemoOptions(patients=max(0, options["patients"]), seed=options["seed"])
        summaries = [f"{name}: {step(demo)}" for name, step in steps()]
        if options["quiet"]:
            return
        self.stdout.write("Demo practice ready — " + "; ".join(summaries) + ".")
        for line in demo.lines:
            self.stdout.write(line)
