from django.db import migrations

# One round trip instead of two for every audit append on PostgreSQL. The function takes the
# advisory lock first and only then reads the head: in READ COMMITTED each statement inside a
# VOLATILE function takes a fresh snapshot, so the head it reads includes every event
# committed by whoever held the lock before.
CREATE = """
CREATE OR REPLACE FUNCTION audit_chain_head(lock_key bigint)
RETURNS TABLE (seq bigint, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq, e.hash FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
END;
$$;
"""
DROP = "DROP FUNCTION IF EXISTS audit_chain_head(bigint);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunPython(create, drop)]
