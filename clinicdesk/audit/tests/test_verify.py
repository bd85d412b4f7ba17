"""`clinicdesk audit verify` names the first event someone tampered with behind the triggers."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from clinicdesk.audit.models import Action, AuditEvent, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.audit.triggers import drop_statements
from clinicdesk.core import clock as app_clock


@pytest.fixture
def ten_events(office_manager):
    for i in range(10):
        audit_record(
            actor=office_manager,
            action=Action.READ,
            object_type=ObjectType.PATIENT,
            object_id=f"P{i}",
            patient_id=f"P{i}",
            reason="treatment",
        )
    return office_manager


def _tamper(*statements: str) -> None:
    """Drop the append-only triggers inside this test's transaction and run raw SQL."""
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)
        for statement in statements:
            cursor.execute(statement)


def _verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", "--no-progress", stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_an_intact_chain_verifies_with_its_count(ten_events):
    code, out = _verify()
    assert code == 0
    assert out.startswith("OK: 10 events, chain intact (last seq 10, head ")
    assert AuditEvent.objects.get(seq=10).hash in out


def test_an_empty_trail_verifies(db):
    assert _verify() == (0, f"OK: 0 events, chain intact (last seq 0, head {'0' * 64}).\n")


def test_an_edited_event_is_named(ten_events):
    _tamper("UPDATE audit_auditevent SET reason = 'curiosity' WHERE seq = 4")
    code, out = _verify()
    assert code == 1
    assert out.startswith("BROKEN at seq 4: edited — its content does not match its hash. 3 events before it")


def test_an_edited_hash_is_caught_at_the_next_event(ten_events):
    # Flip the first hex digit to a different one, whatever it was.
    _tamper(
        "UPDATE audit_auditevent SET hash = "
        "(CASE WHEN substr(hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || substr(hash, 2) WHERE seq = 6"
    )
    code, out = _verify()
    assert code == 1 and "BROKEN at seq 6: edited" in out


def test_a_deleted_event_is_named(ten_events):
    _tamper("DELETE FROM audit_auditevent WHERE seq = 5")
    code, out = _verify()
    assert code == 1
    assert out.startswith("BROKEN at seq 5: deleted — event(s) 5 are missing")


def test_several_deleted_events_are_named_as_a_range(ten_events):
    _tamper("DELETE FROM audit_auditevent WHERE seq IN (5, 6, 7)")
    code, out = _verify()
    assert code == 1 and "BROKEN at seq 5: deleted — event(s) 5–7 are missing" in out


def test_swapped_events_are_reported_as_reordered(ten_events):
    _tamper(
        "UPDATE audit_auditevent SET seq = -1 WHERE seq = 3",
        "UPDATE audit_auditevent SET seq = 3 WHERE seq = 4",
        "UPDATE audit_auditevent SET seq = 4 WHERE seq = -1",
    )
    code, out = _verify()
    assert code == 1 and out.startswith("BROKEN at seq 3: reordered")


def test_a_forged_replacement_with_a_fresh_hash_is_still_caught(ten_events):
    """Rewriting one event and recomputing its hash breaks the link of the event after it."""
    from clinicdesk.audit.chain import CHAINED_FIELDS, event_hash

    event = AuditEvent.objects.get(seq=7)
    event.reason = "forged"
    forged = event_hash(event.prev_hash, [getattr(event, f) for f in CHAINED_FIELDS])
    _tamper(f"UPDATE audit_auditevent SET reason = 'forged', hash = '{forged}' WHERE seq = 7")
    code, out = _verify()
    assert code == 1 and out.startswith("BROKEN at seq 8: edited — its prev_hash does not match seq 7")


def test_export_writes_csv_and_fhir_for_a_date_range(ten_events, tmp_path):

    today = app_clock.today().isoformat()
    csv_path, fhir_path = tmp_path / "a.csv", tmp_path / "a.json"
    call_command(
        "audit", "export", "--from", today, "--to", today, "--format", "csv", "-o", str(csv_path), stderr=io.StringIO()
    )
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("seq,at,actor_username") and len(lines) == 11
    call_command(
        "audit",
        "export",
        "--from",
        today,
        "--to",
        today,
        "--format",
        "fhir",
        "-o",
        str(fhir_path),
        stderr=io.StringIO(),
    )
    bundle = json.loads(fhir_path.read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    # The CSV export of 10 events was itself recorded, so the FHIR export holds 11.
    assert len(bundle["entry"]) == 11
    from fhir.resources.R4B.bundle import Bundle

    parsed = Bundle.model_validate(bundle)
    first = parsed.entry[0].resource
    assert first.__resource_type__ == "AuditEvent" and first.action == "R"
    assert {e.what.identifier.value for e in first.entity} == {"P0"}
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_type="audit_trail").count() == 2


def test_export_of_an_empty_range_is_empty(ten_events, tmp_path):
    out = tmp_path / "none.csv"
    call_command("audit", "export", "--from", "2001-01-01", "--to", "2001-01-31", "-o", str(out), stderr=io.StringIO())
    assert out.read_text().splitlines()[1:] == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--from", "yesterday", "--to", "2026-01-01"], "is not a date"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "--to is before --from"),
    ],
)
def test_export_refuses_bad_dates_plainly(db, args, message):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("audit", "export", *args)


# The same checks split across processes: parts of 3 events, so seq 1-3, 4-6, 7-9 and 10 are
# checked by different processes with their own connections (the rows must really be committed).
PARALLEL = ["--jobs", "2", "--chunk-size", "3", "--parallel-min", "0"]


@pytest.fixture
def ten_committed_events(committed_db):
    from clinicdesk.core.capabilities import Role
    from conftest import make_staff

    person = make_staff("dana", Role.OFFICE_MANAGER)
    for i in range(10):
        audit_record(actor=person, action=Action.READ, object_type=ObjectType.PATIENT, object_id=f"P{i}")


def _verify_parallel() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", "--no-progress", *PARALLEL, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_parallel_verify_of_an_intact_chain_agrees_with_one_walk(ten_committed_events):
    code, out = _verify_parallel()
    assert code == 0 and out == _verify()[1]
    assert AuditEvent.objects.get(seq=10).hash in out


@pytest.mark.parametrize(
    "statements,expected",
    [
        (["DELETE FROM audit_auditevent WHERE seq = 3"], "BROKEN at seq 3: deleted — event(s) 3 are missing"),
        (["DELETE FROM audit_auditevent WHERE seq = 4"], "BROKEN at seq 4: deleted — event(s) 4 are missing"),
        (["DELETE FROM audit_auditevent WHERE seq IN (6, 7)"], "BROKEN at seq 6: deleted — event(s) 6–7 are missing"),
        (["UPDATE audit_auditevent SET object_id = 'X' WHERE seq = 8"], "BROKEN at seq 8: edited"),
        (
            [
                "UPDATE audit_auditevent SET seq = -1 WHERE seq = 3",
                "UPDATE audit_auditevent SET seq = 3 WHERE seq = 4",
                "UPDATE audit_auditevent SET seq = 4 WHERE seq = -1",
            ],
            "BROKEN at seq 3: reordered",
        ),
        (
            ["UPDATE audit_auditevent SET object_id = 'X' WHERE seq = 9", "DELETE FROM audit_auditevent WHERE seq = 2"],
            "BROKEN at seq 2: deleted",
        ),
    ],
    ids=["end-of-part", "start-of-part", "across-parts", "edited", "swapped-across-parts", "first-break-wins"],
)
def test_a_parallel_verify_names_the_same_first_break(ten_committed_events, statements, expected):
    _tamper(*statements)
    code, out = _verify_parallel()
    assert code == 1 and out.startswith(expected), out
    assert _verify()[1] == out  # one walk says exactly the same
