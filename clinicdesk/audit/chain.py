"""The hash chain: canonical form of an event, and the walk that verifies it.

Kept free of the ORM so `audit verify` can stream a million rows through a plain cursor.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64

# Order of fields in the canonical form; `verify` selects the columns in this order too.
CHAINED_FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "reason",
    "outcome",
    "ip",
    "user_agent",
    "changed_fields",
    "detail",
)

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_dumps = _encoder.encode


def _array_dumper() -> Callable[[list[object]], str]:
    """`_dumps` for a flat list, at half the cost per call.

    `JSONEncoder.encode` builds a new C encoder on every call; over a million rows that is
    most of the JSON time. This builds it once, with exactly the arguments `iterencode` would
    pass (no circular check: a row of scalars cannot contain itself), so the output is
    identical. Without the C accelerator it is `_dumps` itself.
    """
    make = getattr(json.encoder, "c_make_encoder", None)  # CPython's accelerator; not in the stubs
    if make is None:
        return _dumps
    e = _encoder
    encode = make(
        None,
        e.default,
        json.encoder.encode_basestring,
        e.indent,
        e.key_separator,
        e.item_separator,
        e.sort_keys,
        e.skipkeys,
        e.allow_nan,
    )
    return lambda values: "".join(encode(values, 0))


def format_time(at: datetime | str) -> str:
    """UTC with microseconds, the same on every database.

    SQLite hands back text from a raw cursor; PostgreSQL an aware datetime.
    """
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, values: Sequence[object]) -> str:
    """SHA-256 of the previous hash and the JSON array of `values` (in CHAINED_FIELDS order)."""
    values = list(values)
    values[1] = format_time(values[1])  # type: ignore[arg-type]  # the driver hands back a datetime here (PostgreSQL) or text (SQLite)
    payload = prev_hash + _dumps(values)
    return hashlib.sha256(payload.encode()).hexdigest()


def _canonical_time(at: object) -> str:
    """`format_time(at)`, without parsing the two text forms `audit verify` selects.

    "2025-01-06 13:00:01.234567" is how Django stores a UTC time in SQLite; a string already
    in the canonical form ("…T13:00:01.234567Z") comes from PostgreSQL's `to_char`. Both are
    rewritten by slicing alone. Anything else, a year before 1000 included, goes through
    `format_time`. A shortcut can only produce the canonical string of a valid time when its
    input is that time's stored form, so it never accepts a row that `format_time` would not.
    """
    if at.__class__ is str and at[:1] != "0":  # type: ignore[index]  # `at` is text on this path: checked by `at.__class__ is str` above
        size = len(at)  # type: ignore[arg-type]  # `at` is text on this path: checked by `at.__class__ is str` above
        if size == 26 and at[10] == " " and at[19] == ".":  # type: ignore[index]  # `at` is text on this path: checked by `at.__class__ is str` above
            return f"{at[:10]}T{at[11:]}Z"  # type: ignore[index]  # `at` is text on this path: checked by `at.__class__ is str` above
        if size == 27 and at[10] == "T" and at[19] == "." and at[26] == "Z":  # type: ignore[index]  # `at` is text on this path: checked by `at.__class__ is str` above
            return at  # type: ignore[return-value]  # `at` is text on this path: checked by `at.__class__ is str` above
    return format_time(at)  # type: ignore[arg-type]  # the driver hands back a datetime here (PostgreSQL) or text (SQLite)


@dataclass(frozen=True)
class Break:
    seq: int
    kind: str  # "edited", "deleted", "reordered"
    why: str


@dataclass(frozen=True)
class VerifyResult:
    count: int
    last_seq: int
    broken: Break | None
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.broken is None


def missing_break(first: int, next_present: int) -> Break:
    """The break for events first .. next_present - 1 being absent."""
    missing = f"{first}" if next_present == first + 1 else f"{first}–{next_present - 1}"
    return Break(first, "deleted", f"event(s) {missing} are missing")


def verify_rows(
    rows: Iterable[Sequence[object]],
    known_hashes=None,
    *,
    first_seq: int = 1,
    start_prev: str | None = GENESIS,
    end_seq: int | None = None,
) -> VerifyResult:
    """Walk rows of (prev_hash, hash, *CHAINED_FIELDS) ordered by seq and stop at the first break.

    `known_hashes(h)` answers whether some event anywhere carries hash `h`; it tells a row
    moved out of place ("reordered") from a link that points nowhere. Checked in this order
    for each row: a gap in seq means the missing events were deleted; a prev_hash that is
    not the previous event's hash means the order was changed (or the previous event
    replaced); a hash that does not match the row's own content means the row was edited.

    A part of the chain is walked with `first_seq` (where it starts), `start_prev` (the hash of
    the event before it; None when that event is missing, which the part before reports) and
    `end_seq` (one past the last seq the part must contain, so that events deleted from its
    end are caught too).
    """
    expected_seq = first_seq
    prev = start_prev
    count = 0
    sha256 = hashlib.sha256
    dumps = _array_dumper()
    canonical_time = _canonical_time
    for row in rows:
        prev_hash, stored_hash, seq = row[0], row[1], row[2]
        if seq != expected_seq:
            seq = int(seq)  # type: ignore[call-overload]  # seq arrives as int or numeric text from the driver
        if seq != expected_seq:
            if seq > expected_seq:
                return VerifyResult(count, seq, missing_break(expected_seq, seq))
            return VerifyResult(
                count, seq, Break(seq, "reordered", f"seq {seq} appears again after {expected_seq - 1}")
            )
        if prev_hash != prev and prev is not None:
            if known_hashes is not None and known_hashes(prev_hash):
                why = f"its prev_hash points to another event than seq {seq - 1}"
                return VerifyResult(count, seq, Break(seq, "reordered", why))
            return VerifyResult(count, seq, Break(seq, "edited", f"its prev_hash does not match seq {seq - 1}"))
        # The hashed array holds seq as stored (not int(seq)) and every other field as read.
        payload = prev_hash + dumps([row[2], canonical_time(row[3]), *row[4:]])  # type: ignore[operator]  # prev_hash is text; the row tuple is typed loosely
        if sha256(payload.encode()).hexdigest() != stored_hash:
            return VerifyResult(count, seq, Break(seq, "edited", "its content does not match its hash"))
        prev = stored_hash
        expected_seq += 1
        count += 1
    if end_seq is not None and expected_seq < end_seq:
        return VerifyResult(count, expected_seq - 1, missing_break(expected_seq, end_seq))
    return VerifyResult(count, expected_seq - 1, None, prev or GENESIS)
