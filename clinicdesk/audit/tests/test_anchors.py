"""Anchors: the head recorded outside the database exposes the newest events removed or rewritten.

The walk alone cannot: delete the newest events (with the triggers dropped, as
conftest.clear_audit_table does) and what is left still links up.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from clinicdesk.audit.anchors import FILE_HEADER, anchors_read, audit_anchor_write, audit_head
from clinicdesk.audit.chain import CHAINED_FIELDS, GENESIS, event_hash
from clinicdesk.audit.models import Action, AuditEvent, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.audit.triggers import drop_statements

MOMENT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def anchor_file(tmp_path, settings):
    settings.CLINICDESK_AUDIT_ANCHOR_FILE = tmp_path / "anchors" / "audit-anchors.log"
    settings.CLINICDESK_AUDIT_ANCHOR_EMAIL = ""
    return settings.CLINICDESK_AUDIT_ANCHOR_FILE


def _events(actor, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit_record(
            actor=actor, action=Action.READ, object_type=ObjectType.PATIENT, object_id=f"P{i}", patient_id=f"P{i}"
        )


@pytest.fixture
def ten_events(office_manager):
    _events(office_manager, 10)
    return office_manager


def _tamper(*statements: str) -> None:
    """Drop the append-only triggers inside this test's transaction and run raw SQL."""
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)
        for statement in statements:
            cursor.execute(statement)


def _verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", "--no-progress", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def _head_of(seq: int) -> str:
    return f"{seq}:{AuditEvent.objects.get(seq=seq).hash}"


# --- writing anchors --------------------------------------------------------------------------


def test_an_anchor_appends_the_head_with_the_clocks_time(ten_events, anchor_file, clock):
    clock.set(MOMENT)
    head = audit_anchor_write()
    assert (head.seq, head.hash, head.at) == (10, AuditEvent.objects.get(seq=10).hash, "2026-03-02T14:00:00.000000Z")
    _events(ten_events, 2, start=10)
    clock.advance(hours=1)
    audit_anchor_write()
    lines = anchor_file.read_text().splitlines(keepends=True)
    assert lines[0] == FILE_HEADER
    assert lines[1] == f"2026-03-02T14:00:00.000000Z seq=10 hash={head.hash}\n"
    assert lines[2] == f"2026-03-02T15:00:00.000000Z seq=12 hash={AuditEvent.objects.get(seq=12).hash}\n"
    assert [(h.seq, h.at) for h in anchors_read(anchor_file)] == [
        (10, "2026-03-02T14:00:00.000000Z"),
        (12, "2026-03-02T15:00:00.000000Z"),
    ]


def test_an_anchor_never_rewrites_what_the_file_held(ten_events, anchor_file):
    anchor_file.parent.mkdir(parents=True)
    anchor_file.write_text("# kept by the operator\n")
    audit_anchor_write()
    text = anchor_file.read_text()
    assert text.startswith("# kept by the operator\n") and text.count("seq=10 ") == 1


def test_an_anchor_of_an_empty_trail_is_the_genesis_head(db, anchor_file):
    assert audit_anchor_write().seq == 0 and audit_head().hash == GENESIS
    assert _verify("--anchors", str(anchor_file))[0] == 0


def test_the_anchor_is_mailed_when_the_transaction_commits(
    ten_events, anchor_file, settings, django_capture_on_commit_callbacks
):
    settings.CLINICDESK_AUDIT_ANCHOR_EMAIL = "privacy@clinic.example"
    with django_capture_on_commit_callbacks(execute=True):
        head = audit_anchor_write()
        assert mail.outbox == []  # not before the commit
    [sent] = mail.outbox
    assert sent.to == ["privacy@clinic.example"] and f"{head.seq}:{head.hash}" in sent.body


def test_nothing_is_mailed_when_the_transaction_rolls_back(ten_events, anchor_file, settings):
    settings.CLINICDESK_AUDIT_ANCHOR_EMAIL = "privacy@clinic.example"
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_anchor_write()
        raise RuntimeError("the caller's job failed")
    assert mail.outbox == []


def test_the_anchor_command_says_what_it_recorded(ten_events, anchor_file):
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    assert out.getvalue().startswith(f"Anchored seq 10 hash {AuditEvent.objects.get(seq=10).hash} at ")
    assert str(anchor_file) in out.getvalue()
    assert len(anchors_read(anchor_file)) == 1


# --- verifying against recorded heads ---------------------------------------------------------


def test_an_intact_chain_matches_its_recorded_heads(ten_events, anchor_file):
    audit_anchor_write()
    _events(ten_events, 3, start=10)
    code, out = _verify("--anchors", str(anchor_file), "--head", _head_of(4))
    assert code == 0, out
    assert out.splitlines() == [
        f"OK: 13 events, chain intact (last seq 13, head {AuditEvent.objects.get(seq=13).hash}).",
        "It matches all 2 recorded head(s); the newest is seq 10.",
    ]


def test_deleting_the_newest_events_fails_naming_them(ten_events, anchor_file):
    audit_anchor_write()
    _tamper("DELETE FROM audit_auditevent WHERE seq >= 8")
    assert _verify()[0] == 0  # the walk alone cannot tell
    code, out = _verify("--anchors", str(anchor_file))
    assert code == 1
    assert out.startswith("BROKEN at seq 8: deleted — event(s) 8–10 are missing: the chain ends at seq 7, but the head")
    assert f"line 2 of {anchor_file}" in out


def test_deleting_the_newest_events_fails_against_a_head_given_by_hand(ten_events):
    head = _head_of(10)
    _tamper("DELETE FROM audit_auditevent WHERE seq = 10")
    code, out = _verify("--head", head)
    assert code == 1 and out.startswith("BROKEN at seq 10: deleted — event(s) 10 are missing: the chain ends at seq 9")


def test_newest_events_deleted_and_written_again_differ_from_the_head(ten_events, anchor_file):
    audit_anchor_write()
    _tamper("DELETE FROM audit_auditevent WHERE seq >= 8")
    _events(ten_events, 3, start=100)  # the application goes on: seq 8-10 again, other content
    code, out = _verify("--anchors", str(anchor_file))
    assert code == 1
    assert out.startswith("BROKEN at seq 1: edited — event(s) 1–10 were rewritten or removed: seq 10 has hash ")


def test_the_last_matching_anchor_narrows_the_rewritten_range(ten_events, anchor_file):
    audit_anchor_write()  # seq 10
    _events(ten_events, 5, start=10)
    audit_anchor_write()  # seq 15
    _tamper("DELETE FROM audit_auditevent WHERE seq >= 13")
    _events(ten_events, 3, start=100)
    code, out = _verify("--anchors", str(anchor_file))
    assert code == 1 and "BROKEN at seq 11: edited — event(s) 11–15 were rewritten or removed" in out


def test_a_chain_rebuilt_with_fresh_hashes_is_caught_by_its_head(ten_events):
    """Rewrite event 5 and re-hash every event after it: the walk passes, the recorded head does not."""
    head = _head_of(10)
    statements = []
    prev = AuditEvent.objects.get(seq=4).hash
    for event in AuditEvent.objects.filter(seq__gte=5).order_by("seq"):
        if event.seq == 5:
            event.reason = "forged"
        forged = event_hash(prev, [getattr(event, f) for f in CHAINED_FIELDS])
        statements.append(
            f"UPDATE audit_auditevent SET reason = '{event.reason}', prev_hash = '{prev}', hash = '{forged}' "
            f"WHERE seq = {event.seq}"
        )
        prev = forged
    _tamper(*statements)
    assert _verify()[0] == 0
    code, out = _verify("--head", head)
    assert code == 1 and out.startswith("BROKEN at seq 1: edited — event(s) 1–10 were rewritten or removed")


def test_a_forged_head_fails(ten_events):
    code, out = _verify("--head", f"10:{'0' * 64}")
    assert code == 1 and "BROKEN at seq 1: edited — event(s) 1–10 were rewritten or removed: seq 10 has hash" in out
    code, out = _verify("--head", f"11:{AuditEvent.objects.get(seq=10).hash}")
    assert code == 1 and "event(s) 11 are missing" in out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--head", "ten:abc"], "is not a head: give SEQ:HASH"),
        (["--head", "10"], "is not a head"),
        (["--anchors", "/no/such/anchors.log"], "No anchor file at /no/such/anchors.log"),
    ],
)
def test_a_bad_head_or_anchor_file_is_refused_plainly(ten_events, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("audit", "verify", "--no-progress", *args)


def test_an_anchor_file_with_a_mangled_line_is_refused_naming_the_line(ten_events, tmp_path):
    path = tmp_path / "anchors.log"
    path.write_text(f"{FILE_HEADER}2026-03-02T14:00:00.000000Z seq=10 hash=xyz\n")
    with pytest.raises(CommandError, match="Line 2 of .* is not an anchor"):
        call_command("audit", "verify", "--no-progress", "--anchors", str(path))
    path.write_text(FILE_HEADER)
    with pytest.raises(CommandError, match="holds no anchor yet"):
        call_command("audit", "verify", "--no-progress", "--anchors", str(path))


def test_the_hourly_job_appends_the_head_once_per_hour_however_often_the_scheduler_looks(db, clock, settings, tmp_path):
    from clinicdesk.core.models import RunOutcome, ScheduledRun
    from clinicdesk.core.scheduler import REGISTRY
    from clinicdesk.core.scheduler.services import scheduler_tick

    settings.CLINICDESK_AUDIT_ANCHOR_FILE = tmp_path / "anchors.log"
    job = REGISTRY.get("audit.anchor")
    assert job is not None and job.describe() == "every hour"
    clock.set(datetime(2026, 5, 12, 14, 5, tzinfo=UTC))
    audit_record(actor=None, actor_username="system:test", action=Action.CREATE, object_type=ObjectType.AUDIT_TRAIL)
    for minutes in (0, 20, 40):  # three looks in one hour: one anchor
        clock.set(datetime(2026, 5, 12, 14, 5 + minutes, tzinfo=UTC))
        scheduler_tick(holder="test", jobs=[job])
    clock.set(datetime(2026, 5, 12, 15, 1, tzinfo=UTC))  # the next hour: a second one
    scheduler_tick(holder="test", jobs=[job])
    runs = list(ScheduledRun.objects.filter(job="audit.anchor").order_by("period_start"))
    assert [r.outcome for r in runs] == [RunOutcome.SUCCEEDED] * 2, [r.detail for r in runs]
    heads = anchors_read(settings.CLINICDESK_AUDIT_ANCHOR_FILE)
    newest = AuditEvent.objects.order_by("-seq").first()
    assert [h.seq for h in heads] == [newest.seq, newest.seq] and heads[0].hash == newest.hash
    assert runs[0].detail.startswith(f"seq: {newest.seq}, hash: {newest.hash[:16]}")
