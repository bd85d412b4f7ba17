"""`clinicdesk reindex-patients`: rebuild the patient search index from the patients table.

Run it once after upgrading to a version with search, after a bulk load that bypassed the
patients services, or whenever the name normalisation or the nickname table changes. It is
safe to run on a live system: each batch is rebuilt in its own short transaction, and a run
that is stopped half way leaves every batch either old or new, never empty.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinicdesk.patients.models import Patient
from clinicdesk.patients.search.services import search_index_patients


class Command(BaseCommand):
    help = "Rebuild the patient search index (names, nicknames) for every patient."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="patients per transaction (default 2000)")

    def handle(self, *args, batch_size: int, **options):
        console = Console(stderr=True)
        total = Patient.objects.count()
        fields = ("pk", "first_name", "middle_name", "last_name", "preferred_name")
        last_pk, terms, done = 0, 0, 0
        with Progress(
            TextColumn("indexing patients"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("index", total=total)
            while True:
                batch = list(Patient.objects.filter(pk__gt=last_pk).order_by("pk").only(*fields)[:batch_size])
                if not batch:
                    break
                with transaction.atomic():
                    terms += search_index_patients(batch)
                last_pk, done = batch[-1].pk, done + len(batch)
                progress.update(task, completed=done)
        self.stdout.write(f"Indexed {done} patient{'s' if done != 1 else ''} ({terms} search terms).")
