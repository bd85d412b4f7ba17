"""Coverage.copay_cents becomes a core CentsField: the column stays the same BIGINT, so only the
migration state changes (no table rebuild on SQLite, no ALTER on PostgreSQL)."""

from django.db import migrations

import clinicdesk.core.money


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0008_disclosure"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="coverage",
                    name="copay_cents",
                    field=clinicdesk.core.money.CentsField(blank=True, null=True),
                ),
            ],
        ),
    ]
