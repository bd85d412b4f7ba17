"""One index serves every name lookup and covers it: (term, patient, source) replaces the two on term."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patient_search", "0002_alias_and_merge"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patientsearchterm",
            name="term",
            field=models.CharField(max_length=40),
        ),
        migrations.AddIndex(
            model_name="patientsearchterm",
            index=models.Index(
                fields=["term", "patient", "source"],
                name="search_term_word",
                opclasses=["varchar_pattern_ops", "int8_ops", "int2_ops"],
            ),
        ),
    ]
