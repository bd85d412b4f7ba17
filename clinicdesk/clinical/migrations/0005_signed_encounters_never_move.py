"""The encounter of a signed note is as fixed as the note: no other patient, provider, date, no delete.

See clinical/triggers.py (`encounter_install_statements`).
"""

from django.db import migrations

from clinicdesk.clinical.triggers import encounter_drop_statements, encounter_install_statements


def add(apps, schema_editor):
    for statement in encounter_install_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in encounter_drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0004_clock_defaults")]

    operations = [migrations.RunPython(add, remove)]
