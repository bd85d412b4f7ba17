from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinicdesk.patients.importing import FileRejected, check_file
from clinicdesk.patients.patient_import import BATCH, patient_import


class Command(BaseCommand):
    help = "Import data from another system. `clinicdesk import patients FILE.csv` (see docs/patient-import.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        patients = sub.add_parser("patients", help="A CSV of patients, one per line, with a header line.")
        patients.add_argument("file", type=Path)
        patients.add_argument("--rejects", type=Path, help="Where to write rejected rows (default: FILE.rejects.csv).")
        patients.add_argument("--batch-size", type=int, default=BATCH)
        patients.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        rejects = options["rejects"] or path.with_name(path.stem + ".rejects.csv")
        try:
            total = check_file(path).rows
            if options["no_progress"]:
                result = patient_import(
                    actor=None, system="system:import", path=path, rejects=rejects, batch_size=options["batch_size"]
                )
            else:
                columns = (TextColumn("Importing patients"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
                with Progress(*columns) as bar:
                    task = bar.add_task("import", total=total)
                    result = patient_import(
                        actor=None,
                        system="system:import",
                        path=path,
                        rejects=rejects,
                        batch_size=options["batch_size"],
                        on_progress=lambda n: bar.advance(task, n),
                    )
        except FileRejected as exc:
            raise CommandError(f"Nothing was imported: {exc}") from exc
        self.stdout.write(
            f"{result.rows} rows: {result.created} patients created, {result.skipped} already imported, "
            f"{result.rejected} rejected" + (f" (see {rejects})." if result.rejected else ".")
        )
        if result.ignored_columns:
            self.stdout.write(f"Columns not imported (unknown to ClinicDesk): {', '.join(result.ignored_columns)}.")
