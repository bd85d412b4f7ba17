"""Anchors: the chain's head written down where the database cannot rewrite it.

The hash chain proves that no event was edited, removed or moved *inside* the chain, but someone
who can drop the triggers can also delete the newest events (or rebuild the chain with fresh
hashes): what is left verifies. An anchor is the head — the newest `seq` and its `hash`, with
the time — recorded outside the database: appended to a file (CLINICDESK_AUDIT_ANCHOR_FILE) and,
when CLINICDESK_AUDIT_ANCHOR_EMAIL is set, mailed. `audit verify --anchors FILE` (or `--head
SEQ:HASH`) then fails when the chain is shorter than a recorded head, or its event at that seq
carries another hash, and names the events concerned.

`audit_anchor_write()` is what `clinicdesk audit anchor` runs and what the periodic scheduler
calls (hourly). The anchor file is only ever appended to; one line per anchor:

    2026-03-02T14:00:00.000000Z seq=1234 hash=<64 hex digits>
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from clinicdesk.core import clock

from .chain import GENESIS, Break, format_time
from .models import AuditEvent

_HASH = re.compile(r"[0-9a-f]{64}")
_LINE = re.compile(r"(?P<at>\S+)\s+seq=(?P<seq>\d+)\s+hash=(?P<hash>[0-9a-f]{64})")
FILE_HEADER = "# ClinicDesk audit anchors, appended only: time (UTC) seq=<newest seq> hash=<its hash>\n"


@dataclass(frozen=True)
class Head:
    """The newest event of the chain at some moment: its seq and hash (0 and GENESIS: empty)."""

    seq: int
    hash: str
    at: str = ""  # when it was recorded (UTC, canonical form); "" for a head given by hand
    source: str = ""  # where it was read ("line 12 of FILE", "--head"), for messages

    def line(self) -> str:
        return f"{self.at} seq={self.seq} hash={self.hash}\n"

    def described(self) -> str:
        when = f" recorded at {self.at}" if self.at else ""
        where = f" ({self.source})" if self.source else ""
        return f"the head{when}{where}, seq {self.seq} hash {self.hash[:12]}…"


def parse_head(text: str, *, source: str = "--head") -> Head:
    """ "1234:<64 hex>" -> Head. Raises ValueError saying what is wrong with it."""
    seq_text, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not seq_text.strip().isdigit() or not _HASH.fullmatch(digest):
        raise ValueError(f"“{text.strip()[:90]}” is not a head: give SEQ:HASH, e.g. 1234:{'ab' * 32}")
    return Head(int(seq_text), digest, source=source)


def anchors_read(path: Path) -> list[Head]:
    """Every anchor of an anchor file, in file order. Raises ValueError naming a bad line or a missing file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValueError(f"No anchor file at {path}.") from exc
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line.strip())
        if match is None:
            raise ValueError(f"Line {number} of {path} is not an anchor (time seq=N hash=HEX): “{line[:90]}”")
        heads.append(Head(int(match["seq"]), match["hash"], match["at"], source=f"line {number} of {path}"))
    return heads


def audit_head(*, using: str = "default") -> Head:
    """The chain's newest event as a Head (seq 0 and GENESIS when the trail is empty)."""
    newest = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
    return Head(*newest) if newest else Head(0, GENESIS)


def audit_anchor_write(*, path: Path | None = None, email: str | None = None) -> Head:
    """Append the chain's current head, with the time, to the anchor file; mail it if configured.

    `path` and `email` default to CLINICDESK_AUDIT_ANCHOR_FILE and CLINICDESK_AUDIT_ANCHOR_EMAIL.
    The file is opened for appending only (created, with a header line, when missing) and
    flushed to disk before this returns. The mail is sent when the caller's transaction commits
    (at once outside one). Returns the head written. Raises OSError when the file cannot be
    written; nothing is mailed then.
    """
    path = Path(path or settings.CLINICDESK_AUDIT_ANCHOR_FILE)
    email = settings.CLINICDESK_AUDIT_ANCHOR_EMAIL if email is None else email
    current = audit_head()
    head = Head(current.seq, current.hash, format_time(clock.now()), source=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        if out.tell() == 0:
            out.write(FILE_HEADER)
        out.write(head.line())
        out.flush()
        os.fsync(out.fileno())
    if email:
        transaction.on_commit(
            lambda: send_mail(
                subject=f"ClinicDesk audit anchor: seq {head.seq}",
                message=(
                    "The head of the ClinicDesk audit trail. Keep this mail: "
                    "`clinicdesk audit verify --head SEQ:HASH` checks the trail against it.\n\n"
                    f"{head.line()}\nSEQ:HASH = {head.seq}:{head.hash}\n"
                ),
                from_email=None,
                recipient_list=[email],
            )
        )
    return head


def heads_check(heads: Iterable[Head], *, using: str = "default") -> Break | None:
    """The first recorded head (lowest seq) the stored chain does not reach or does not match, as a Break.

    For a head of seq S: when the newest stored event is before S, events after it up to S are
    missing ("deleted"); when event S is stored with another hash, or is absent from the middle
    of the chain, the events since the last head that still matches (or since seq 1) were
    rewritten or removed ("edited"/"deleted"). None when every head matches. The walk of
    `audit verify` checks the links between stored events; this checks the stored chain against
    what was seen before.
    """
    ordered = sorted(heads, key=lambda h: h.seq)
    if not ordered:
        return None
    events = AuditEvent.objects.using(using)
    newest = events.order_by("-seq").values_list("seq", flat=True).first() or 0
    wanted = sorted({h.seq for h in ordered if 0 < h.seq <= newest})
    stored: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        stored.update(events.filter(seq__in=wanted[start : start + 500]).values_list("seq", "hash"))
    last_good = 0
    for head in ordered:
        if head.seq == 0:
            if head.hash != GENESIS:
                return Break(0, "edited", f"{head.described()} is not the empty chain's (seq 0 is {GENESIS[:12]}…)")
            continue
        if head.seq > newest:
            gap = f"{newest + 1}" if head.seq == newest + 1 else f"{newest + 1}–{head.seq}"
            return Break(
                newest + 1,
                "deleted",
                f"event(s) {gap} are missing: the chain ends at seq {newest}, but {head.described()}",
            )
        found = stored.get(head.seq)
        if found != head.hash:
            span = f"{last_good + 1}–{head.seq}" if head.seq > last_good + 1 else f"{head.seq}"
            what = "is missing" if found is None else f"has hash {found[:12]}…"
            return Break(
                last_good + 1,
                "deleted" if found is None else "edited",
                f"event(s) {span} were rewritten or removed: seq {head.seq} {what}, but {head.described()}",
            )
        last_good = head.seq
    return None
