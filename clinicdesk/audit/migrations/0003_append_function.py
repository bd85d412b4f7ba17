from django.db import migrations

# The whole append in one round trip on PostgreSQL: take the advisory lock, read the head, hash
# and insert. In READ COMMITTED each statement inside a VOLATILE function takes a fresh
# snapshot, so the head read after the lock includes every event committed by whoever held it
# before. The hash is SHA-256 over prev_hash and the same canonical JSON array that
# `clinicdesk/audit/chain.py` builds (PostgreSQL's to_json escapes strings exactly as Python's
# json module does with ensure_ascii=False; test_chain_sql.py checks it on awkward text), and
# `audit verify` recomputes every hash in Python, so any difference would show at once.
_FIELDS = (
    "p_actor_username, p_actor_role, p_action, p_object_type, p_object_id, p_patient_id, p_reason, "
    "p_outcome, p_ip, p_user_agent, p_changed_fields, p_detail"
).split(", ")
_JSON_TEXTS = " || ',' || ".join(f"to_json({name})::text" for name in _FIELDS)
_TEXT_ARGS = ", ".join(f"{name} text" for name in _FIELDS)
_COLUMNS = (
    "seq, at, actor_id, actor_username, actor_role, action, object_type, object_id, patient_id, reason, "
    "outcome, ip, user_agent, changed_fields, detail, prev_hash, hash"
)

CREATE = f"""
CREATE OR REPLACE FUNCTION audit_append(lock_key bigint, p_actor_id bigint, {_TEXT_ARGS})
RETURNS TABLE (id bigint, seq bigint, at timestamptz, prev_hash varchar, hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_seq bigint;
    v_prev varchar;
    v_at timestamptz;
    v_hash varchar;
    v_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT e.seq, e.hash INTO v_seq, v_prev FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
    IF v_seq IS NULL THEN
        v_seq := 1;
        v_prev := repeat('0', 64);
    ELSE
        v_seq := v_seq + 1;
    END IF;
    -- Read under the lock, so time order and seq order agree.
    v_at := date_trunc('microseconds', clock_timestamp());
    v_hash := encode(sha256(convert_to(
        v_prev || '[' || v_seq::text || ','
        || to_json(to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text || ','
        || coalesce(p_actor_id::text, 'null') || ',' || {_JSON_TEXTS} || ']',
        'UTF8')), 'hex');
    INSERT INTO audit_auditevent ({_COLUMNS})
    VALUES (v_seq, v_at, p_actor_id, {", ".join(_FIELDS)}, v_prev, v_hash)
    RETURNING audit_auditevent.id INTO v_id;
    RETURN QUERY SELECT v_id, v_seq, v_at, v_prev, v_hash;
END;
$$;
"""
DROP = f"DROP FUNCTION IF EXISTS audit_append(bigint, bigint, {', '.join('text' for _ in _FIELDS)});"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunPython(create, drop)]
