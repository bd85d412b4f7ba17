from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinicdesk.codes.services import icd10_load
from clinicdesk.codes.sources import OrderFileError, order_file_entries, package_entries, package_release


class Command(BaseCommand):
    help = "Code sets: `load-icd10` loads or updates ICD-10-CM (from the simple-icd-10-cm package or a CMS order file)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load-icd10",
            help="Load ICD-10-CM (idempotent): add new codes, update changed ones, deactivate dropped ones.",
        )
        load.add_argument(
            "--order-file",
            type=Path,
            help="a CMS icd10cm_order_YYYY.txt to load instead of the packaged code set (needs --release)",
        )
        load.add_argument(
            "--release", help='the release the order file is, e.g. "2026" (default: the year in its name)'
        )
        load.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        self._load_icd10(options)

    def _load_icd10(self, options) -> None:
        path: Path | None = options["order_file"]
        if path is None:
            if options["release"]:
                raise CommandError("--release goes with --order-file; the package says its own release")
            self.stderr.write("Reading the simple-icd-10-cm package…")
            entries, release = package_entries(), package_release()
        else:
            release = options["release"] or ""
            if not release and (match := re.search(r"(?<!\d)(20\d\d)(?!\d)", path.name)):
                release = match[1]
            if not release:
                raise CommandError(f"Say which release {path.name} is, e.g. --release 2026")
            try:
                with path.open("rb") as fh:
                    entries = order_file_entries(fh)
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
            except OrderFileError as exc:
                raise CommandError(f"{path.name}, {exc}. Nothing was loaded.") from exc
        if options["no_progress"]:
            result = icd10_load(entries=entries, release=release)
        else:
            with Progress(
                TextColumn("Loading ICD-10-CM {task.fields[stage]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("load", total=None, stage="")

                def advance(stage: str, done: int, total: int) -> None:
                    bar.update(task, total=total or None, advance=done, stage=stage)

                result = icd10_load(entries=entries, release=release, progress=advance)
        self.stdout.write(
            f"ICD-10-CM release {result.release}: {result.added:,} added, {result.updated:,} updated, "
            f"{result.deactivated:,} deactivated, {result.unchanged:,} unchanged."
        )
