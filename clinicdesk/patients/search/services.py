"""Keeping the search index in step with the patients table.

`patient_register` and `patient_update` call `search_index_patient` inside their own
transaction, so a committed patient is always findable by its committed name. Bulk writers
(import, merge, demo data) call `search_index_patients` once per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.db import transaction

from clinicdesk.core.bulk import RowWriter
from clinicdesk.patients.models import Patient

from .models import PatientNamePair, PatientSearchTerm, SearchWord, TermSource
from .names import canonical_names, name_tokens


def search_terms_of(patient: Patient) -> list[tuple[str, int]]:
    """(term, source) pairs for `patient`, each term once, the most telling source kept."""
    return _terms_of_names(patient.first_name, patient.last_name, patient.preferred_name, patient.middle_name)


def _terms_of_names(first: str, last: str, preferred: str, middle: str) -> list[tuple[str, int]]:
    seen: dict[str, int] = {}
    for text, source in (
        (first, TermSource.FIRST),
        (last, TermSource.LAST),
        (preferred, TermSource.PREFERRED),
        (middle, TermSource.MIDDLE),
    ):
        for token in _tokens(text or ""):
            seen.setdefault(token, source)
    for text in (first, preferred, middle):
        for token in _tokens(text or ""):
            for canonical in canonical_names(token):
                seen.setdefault(canonical, TermSource.NICKNAME)
    return list(seen.items())


def name_pairs_of(first: str, last: str, preferred: str, middle: str) -> list[tuple[str, str]]:
    """(family, given) word combinations of one name, for `PatientNamePair`."""
    words = [t for text in (first, preferred, middle) for t in _tokens(text or "")]
    given = dict.fromkeys([*words, *(c for t in words for c in canonical_names(t))])
    return [(f, g) for f in _tokens(last or "") for g in given]


# Names repeat (a practice has thousands of Marias and Smiths), so a bulk import folds and
# splits each distinct name once.
@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(name_tokens(text))


class NewPatientIndexer:
    """Writes the index rows of patients just inserted in bulk (no old rows to remove).

    Keeps the words it has already added to the vocabulary, so a long import inserts each
    distinct word once instead of once per batch.
    """

    def __init__(self) -> None:
        self._terms = RowWriter(PatientSearchTerm, ("patient", "term", "source"))
        self._pairs = RowWriter(PatientNamePair, ("patient", "family", "given"))
        self._known_words: set[str] = set()

    @transaction.atomic
    def index(self, patients: Sequence[tuple[int, str, str, str, str]]) -> int:
        """Index (patient pk, first, last, preferred, middle) tuples; returns the rows written."""
        words: set[str] = set()
        rows = []
        for pk, first, last, preferred, middle in patients:
            for term, source in _terms_of_names(first, last, preferred, middle):
                rows.append((pk, term, source))
                words.add(term)
        written = self._terms.insert(rows)
        self._pairs.insert(
            (pk, family, given)
            for pk, first, last, preferred, middle in patients
            for family, given in name_pairs_of(first, last, preferred, middle)
        )
        fresh = sorted(words - self._known_words)
        if fresh:
            SearchWord.objects.bulk_create([SearchWord(term=w) for w in fresh], batch_size=2000, ignore_conflicts=True)
            # Remembered once committed: a batch rolled back must add its words again.
            transaction.on_commit(lambda: self._known_words.update(fresh))
        return written


def search_index_patients(patients: Iterable[Patient]) -> int:
    """Rebuild the index rows of `patients` (saved ones). Returns how many terms were written."""
    patients = list(patients)
    if not patients:
        return 0
    PatientSearchTerm.objects.filter(patient_id__in=[p.pk for p in patients]).delete()
    PatientNamePair.objects.filter(patient_id__in=[p.pk for p in patients]).delete()
    rows = [
        PatientSearchTerm(patient_id=p.pk, term=term, source=source)
        for p in patients
        for term, source in search_terms_of(p)
    ]
    PatientSearchTerm.objects.bulk_create(rows, batch_size=2000)
    PatientNamePair.objects.bulk_create(
        [
            PatientNamePair(patient_id=p.pk, family=family, given=given)
            for p in patients
            for family, given in name_pairs_of(p.first_name, p.last_name, p.preferred_name, p.middle_name)
        ],
        batch_size=2000,
    )
    words = sorted({row.term for row in rows})
    SearchWord.objects.bulk_create([SearchWord(term=w) for w in words], batch_size=2000, ignore_conflicts=True)
    return len(rows)


def search_index_patient(patient: Patient) -> None:
    """Rebuild one patient's index rows; call it in the transaction that saved the patient."""
    search_index_patients([patient])
