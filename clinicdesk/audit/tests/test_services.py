from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.chain import GENESIS
from clinicdesk.audit.models import Action, AuditEvent, ObjectType, Outcome
from clinicdesk.audit.services import audit_record
from clinicdesk.audit.verify import audit_verify
from clinicdesk.core.capabilities import Role


def test_the_first_event_links_to_genesis_and_each_next_to_the_one_before(office_manager):
    first = audit_record(actor=office_manager, action=Action.READ, object_type=ObjectType.PATIENT, object_id="P1")
    second = audit_record(
        actor=office_manager,
        action=Action.UPDATE,
        object_type=ObjectType.PATIENT,
        object_id="P1",
        changed_fields=["phone", "address"],
    )
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.changed_fields == "address,phone"
    assert audit_verify().ok and audit_verify().count == 2


def test_an_event_records_the_actor_and_role_at_the_time(office_manager):
    event = audit_record(
        actor=office_manager,
        action=Action.READ,
        object_type=ObjectType.PATIENT,
        object_id="P1",
        patient_id="P1",
        reason="treatment",
    )
    event.refresh_from_db()
    assert event.actor == office_manager
    assert (event.actor_username, event.actor_role) == ("dana", Role.OFFICE_MANAGER)
    assert event.reason == "treatment" and event.outcome == Outcome.SUCCESS


def test_an_unknown_action_is_refused_and_nothing_is_written(office_manager):
    with pytest.raises(ValueError):
        audit_record(actor=office_manager, action="peek", object_type=ObjectType.PATIENT)
    assert AuditEvent.objects.count() == 0


def test_a_failed_change_leaves_no_event(office_manager):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        office_manager.display_name = "Changed"
        office_manager.save()
        audit_record(
            actor=office_manager, action=Action.UPDATE, object_type=ObjectType.STAFF, changed_fields=["display_name"]
        )
        raise Boom
    assert AuditEvent.objects.count() == 0
    office_manager.refresh_from_db()
    assert office_manager.display_name == "Dana Whitfield"


def test_a_committed_change_always_has_its_event(office_manager):
    with transaction.atomic():
        office_manager.display_name = "Dana W."
        office_manager.save()
        audit_record(
            actor=office_manager, action=Action.UPDATE, object_type=ObjectType.STAFF, changed_fields=["display_name"]
        )
    assert AuditEvent.objects.filter(action=Action.UPDATE, changed_fields="display_name").count() == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'x'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_to_change_or_remove_events(office_manager, statement):
    audit_record(actor=office_manager, action=Action.READ, object_type=ObjectType.PATIENT)
    with pytest.raises(Exception) as info, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert "append-only" in str(info.value)
    assert AuditEvent.objects.get().reason == ""


def test_the_orm_cannot_edit_an_event_either(office_manager):
    event = audit_record(actor=office_manager, action=Action.READ, object_type=ObjectType.PATIENT)
    event.reason = "rewritten"
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        event.save()


def test_seq_is_unique_even_if_someone_inserts_by_hand(office_manager):
    event = audit_record(actor=office_manager, action=Action.READ, object_type=ObjectType.PATIENT)
    clone = AuditEvent(**{f.attname: getattr(event, f.attname) for f in AuditEvent._meta.fields if f.attname != "id"})
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save(force_insert=True)


def _writer(n: int, errors: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        user = User.objects.get(username="dana")
        for i in range(n):
            with transaction.atomic():
                audit_record(actor=user, action=Action.READ, object_type=ObjectType.PATIENT, object_id=f"P{i}")
    except Exception as exc:  # noqa: BLE001  (collected and asserted on below)
        errors.append(exc)
    finally:
        connections.close_all()


def test_concurrent_writers_never_fork_the_chain(committed_db):
    from conftest import make_staff

    make_staff("dana", Role.OFFICE_MANAGER)
    writers, per_writer = 4, 25
    errors: list = []
    barrier = threading.Barrier(writers)
    threads = [threading.Thread(target=_writer, args=(per_writer, errors, barrier)) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, writers * per_writer + 1))
    result = audit_verify()
    assert result.ok and result.count == writers * per_writer
