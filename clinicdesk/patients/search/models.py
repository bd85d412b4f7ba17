"""The search index: one row per searchable word of a patient's names.

The patients table already indexes what is searched exactly (MRN, date of birth, E.164 phone
numbers, the SSN blind index), so only names need a table of their own. Each row is one
normalised word (accents folded, split at hyphens and apostrophes) or the canonical name
behind a nickname; a prefix or exact lookup on `term` is one index range scan, whatever the
size of the practice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from clinicdesk.core import clock
from clinicdesk.patients.models import Patient


class TermSource(models.IntegerChoices):
    FIRST = 1, "First name"
    MIDDLE = 2, "Middle name"
    LAST = 3, "Last name"
    PREFERRED = 4, "Preferred name"
    NICKNAME = 5, "Canonical name of a nickname"  # "william" stored for a patient called Bill


class PatientSearchTerm(models.Model):
    """One searchable word of one patient's name. Rebuilt by `search_index_patient` on every save."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", db_index=False)
    term = models.CharField(max_length=40)
    source = models.PositiveSmallIntegerField(choices=TermSource.choices)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "term"], name="search_term_patient"),
            # Every name lookup: exact words, IN lists and prefixes. It covers what the lookups
            # read (patient_id, and source for whole-name matches), so reading the patients of a
            # word never visits the table. On PostgreSQL the varchar_pattern_ops class lets
            # LIKE 'ab%' use it (other backends ignore opclasses).
            models.Index(
                fields=["term", "patient", "source"],
                name="search_term_word",
                opclasses=["varchar_pattern_ops", "int8_ops", "int2_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.get_source_display()})"


class PatientNamePair(models.Model):
    """One (family word, given word) combination of one patient's name: "smith" + "john".

    The search for two words ("john smith", "smith jon") looks the combination up directly,
    so its cost is the number of patients with that combination, not the number of Johns plus
    the number of Smiths (which grows with the practice). Given words are the first, preferred
    and middle names' words and the canonical names of their nicknames; family words are the
    last name's. Rebuilt with the patient's terms.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=40)
    given = models.CharField(max_length=40)

    class Meta:
        indexes = [
            # family = x AND given IN (...) / LIKE 'g%': one index range per family word, covered.
            models.Index(
                fields=["family", "given", "patient"],
                name="search_pair_names",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "int8_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given} {self.family}"


class SearchWord(models.Model):
    """Every distinct term ever indexed: the vocabulary that one-letter-off spellings are checked against.

    A few hundred thousand rows at most, however many patients, so checking ~300 candidate
    spellings is ~300 probes of a small index instead of a scan over every patient's rows.
    Words are never removed: a stale word only costs a lookup that finds no one.
    """

    term = models.CharField(max_length=40, primary_key=True)

    def __str__(self) -> str:
        return self.term


class PatientAlias(models.Model):
    """An MRN that now means another patient: the MRN of a record merged into `patient`.

    Search by that MRN and a link to its chart both land on the survivor. When a survivor is
    itself merged later, its aliases move on to the new survivor, so an alias never points at
    a merged record.
    """

    mrn = models.CharField("alias MRN", max_length=8, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="mrn_aliases")
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"alias {self.mrn}"


class PatientMerge(models.Model):
    """One merge: `merged` was folded into `survivor` by `merged_by`. Never edited or deleted.

    The merged row is kept (inactive, with nothing linked to it any more) so that the audit
    trail, old printouts and this record still name a real row; `moved` counts the rows each
    merge step moved, for the office manager and for the audit detail.
    """

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="merge_record")
    merged_mrn = models.CharField(max_length=8)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=clock.now)
    moved = models.JSONField(default=dict)

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"merge of {self.merged_mrn}"
