"""The append's hash equals the Python chain's, for any text, on the database under test.

On PostgreSQL the append is a SQL function (migration 0003) that hashes in SQL; on SQLite it
is Python. Either way `audit verify` recomputes every hash in Python, so these tests pin that
the two canonical forms never differ, however awkward the text.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicdesk.audit.chain import CHAINED_FIELDS, event_hash
from clinicdesk.audit.models import Action, AuditEvent, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.audit.verify import audit_verify

# Any text the database can store (PostgreSQL refuses NUL in text; so do we, by not storing it).
awkward = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(object_id=awkward, reason=awkward, detail=awkward, fields=st.lists(awkward, max_size=3))
def test_the_stored_hash_is_the_python_hash_of_the_stored_event(db, object_id, reason, detail, fields):
    event = audit_record(
        actor=None,
        actor_username="system:test",
        action=Action.READ,
        object_type=ObjectType.STAFF,
        object_id=object_id,
        reason=reason,
        detail=detail,
        changed_fields=fields,
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.hash, stored.prev_hash) == (event.seq, event.hash, event.prev_hash)
    assert stored.hash == event_hash(stored.prev_hash, [getattr(stored, name) for name in CHAINED_FIELDS])
    assert stored.at == event.at and stored.object_id == object_id[:200]


def test_a_chain_of_awkward_text_verifies(office_manager):
    for text in ['q"uote', "back\\slash", "line\nbreak\ttab\r", "\x01\x1f\x7f", "é 漢字 🙂 \u2028", "</script>"]:
        audit_record(
            actor=office_manager,
            action=Action.UPDATE,
            object_type=ObjectType.STAFF,
            object_id=text,
            reason=text,
            changed_fields=[text, "role"],
            detail=text,
        )
    result = audit_verify()
    assert result.ok and result.count == 6
