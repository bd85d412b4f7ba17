"""A signed note and an addendum never change, whatever writes to the table (see clinical/triggers.py)."""

from django.db import migrations

from clinicdesk.clinical.triggers import drop_statements, install_statements


def add(apps, schema_editor):
    for statement in install_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
