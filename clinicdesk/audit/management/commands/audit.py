from __future__ import annotations

import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinicdesk.audit.anchors import Head, anchors_read, audit_anchor_write, heads_check, parse_head
from clinicdesk.audit.export import fhir_bundle, write_csv
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.selectors import audit_events_between
from clinicdesk.audit.services import audit_record
from clinicdesk.audit.verify import CHUNK, PARALLEL_MIN, audit_event_count, audit_verify, default_jobs


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date like 2026-03-01") from exc


class Command(BaseCommand):
    help = (
        "Audit trail tools: `verify` checks the hash chain (and recorded heads); `anchor` records the head "
        "outside the database; `export` writes CSV or FHIR AuditEvent JSON."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the hash chain and report the first broken event.")
        verify.add_argument("--no-progress", action="store_true")
        verify.add_argument(
            "--jobs",
            type=int,
            default=default_jobs(),
            help="processes that check parts of a long chain at once (default: cores, at most 4)",
        )
        verify.add_argument("--chunk-size", type=int, default=CHUNK, help="events per part when checking in parallel")
        verify.add_argument(
            "--parallel-min", type=int, default=PARALLEL_MIN, help="check in one process below this many events"
        )
        verify.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a head recorded earlier (by `audit anchor` or this command's OK line); fail if the chain "
            "does not reach it or differs from it (may be given several times)",
        )
        verify.add_argument(
            "--anchors", type=Path, metavar="FILE", help="check every head recorded in this anchor file too"
        )
        sub.add_parser(
            "anchor",
            help="Append the chain's head (seq, hash, time) to CLINICDESK_AUDIT_ANCHOR_FILE "
            "(and mail it to CLINICDESK_AUDIT_ANCHOR_EMAIL when set).",
        )
        export = sub.add_parser("export", help="Write events of a date range (practice-local days, inclusive).")
        export.add_argument("--from", dest="date_from", required=True, help="First day, e.g. 2026-01-01")
        export.add_argument("--to", dest="date_to", required=True, help="Last day, e.g. 2026-01-31")
        export.add_argument("--format", choices=["csv", "fhir"], default="csv")
        export.add_argument("--output", "-o", default="-", help="File to write; - for standard output.")

    def handle(self, *args, **options):
        if options["action"] == "verify":
            if options["jobs"] < 1 or options["chunk_size"] < 1:
                raise CommandError("--jobs and --chunk-size must be at least 1")
            tuning = {"jobs": options["jobs"], "chunk": options["chunk_size"], "parallel_min": options["parallel_min"]}
            heads = self._heads(options["head"], options["anchors"])
            return self._verify(progress=not options["no_progress"], tuning=tuning, heads=heads)
        if options["action"] == "anchor":
            return self._anchor()
        return self._export(options)

    def _heads(self, given: list[str], anchors: Path | None) -> list[Head]:
        """The recorded heads to check against, read before the walk so a typo fails at once."""
        try:
            heads = [parse_head(text) for text in given]
            if anchors is not None:
                from_file = anchors_read(anchors)
                if not from_file:
                    raise ValueError(f"{anchors} holds no anchor yet.")
                heads += from_file
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        return heads

    def _anchor(self) -> None:
        try:
            head = audit_anchor_write()
        except OSError as exc:
            raise CommandError(f"Could not append to the anchor file: {exc}") from exc
        mailed = settings.CLINICDESK_AUDIT_ANCHOR_EMAIL
        self.stdout.write(
            f"Anchored seq {head.seq} hash {head.hash} at {head.at} in {settings.CLINICDESK_AUDIT_ANCHOR_FILE}"
            + (f" and mailed it to {mailed}." if mailed else ".")
        )

    def _verify(self, *, progress: bool, tuning: dict, heads: list[Head]) -> None:
        total = audit_event_count()
        if progress and total:
            with Progress(
                TextColumn("Verifying audit chain"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
                console=None,
            ) as bar:
                task = bar.add_task("verify", total=total)
                result = audit_verify(on_batch=lambda n: bar.advance(task, n), **tuning)
        else:
            result = audit_verify(**tuning)
        # The walk checks the links between the events stored; the recorded heads also expose the
        # newest events removed (or the whole chain rebuilt) by someone who could drop the triggers.
        behind = heads_check(heads) if heads else None
        if result.ok and behind is None:
            self.stdout.write(
                f"OK: {result.count} events, chain intact (last seq {result.last_seq}, head {result.head_hash})."
            )
            if heads:
                newest = max(heads, key=lambda h: h.seq)
                self.stdout.write(f"It matches all {len(heads)} recorded head(s); the newest is seq {newest.seq}.")
            return
        if not result.ok:
            b = result.broken
            assert b is not None  # not ok means broken
            self.stdout.write(f"BROKEN at seq {b.seq}: {b.kind} — {b.why}. {result.count} events before it are intact.")
        if behind is not None:
            self.stdout.write(f"BROKEN at seq {behind.seq}: {behind.kind} — {behind.why}.")
        sys.exit(1)

    def _export(self, options) -> None:
        first, last = _day(options["date_from"]), _day(options["date_to"])
        if last < first:
            raise CommandError("--to is before --from")
        start = timezone.make_aware(datetime.combine(first, time.min))
        end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
        events = audit_events_between(start=start, end=end)
        out = sys.stdout if options["output"] == "-" else open(options["output"], "w", newline="", encoding="utf-8")  # noqa: SIM115
        try:
            with transaction.atomic():
                if options["format"] == "csv":
                    count = write_csv(events.iterator(chunk_size=5000), out)
                else:
                    bundle = fhir_bundle(events.iterator(chunk_size=5000))
                    count = len(bundle["entry"])
                    json.dump(bundle, out, indent=1, ensure_ascii=False)
                    out.write("\n")
                audit_record(
                    actor=None,
                    actor_username="system:audit-export",
                    action=Action.EXPORT,
                    object_type=ObjectType.AUDIT_TRAIL,
                    detail=f"{count} events {first}..{last} as {options['format']}",
                )
        finally:
            if out is not sys.stdout:
                out.close()
        if out is not sys.stdout:
            self.stderr.write(f"Wrote {count} events to {options['output']}.")
