"""Finding patients from one typed string, ranked. Reads only; `access.py` audits the search.

Ranking, best first: an exact MRN, phone, SSN, member id or date of birth; then names where
every typed word is a whole name of the patient; then where some word is only the beginning
of one; then nickname matches (Bill finds William); then spellings one letter off. Within a
rank, by last name and first name.

Every lookup is an index probe or an index range scan, so the cost does not grow with the
number of patients: names go through `PatientSearchTerm.term`, the rest through the indexes
the patients table already has. A name search runs the ranks in turn, each a bounded query,
and stops once it has enough.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from clinicdesk.accounts.models import RestrictedRecord
from clinicdesk.core.fields import BlindIndexQuerySet
from clinicdesk.patients.models import Patient
from clinicdesk.patients.services import ssn_clean

from .models import PatientAlias, PatientSearchTerm, SearchWord, TermSource
from .names import fold, nickname_forms, one_edit_away, within_one_edit
from .query import Kind, ParsedQuery

MAX_RESULTS = 20
# Patients of one birthday, for "name + date of birth" (about 30 per day in a million).
_DOB_CANDIDATES = 500

EXACT, PREFIX, NICKNAME, TYPO = 0, 1, 2, 3
MATCH_LABELS = {EXACT: "name", PREFIX: "name begins", NICKNAME: "nickname", TYPO: "similar spelling"}
_MIN_TYPO_LENGTH = 3
_DRIVER_COUNT_CAP = 500

# Member ids live on coverages, which another part of the patients app owns. It registers a
# finder here (member id, upper-cased without dashes -> patient primary keys) when it lands.
MemberIdFinder = Callable[[str], Iterable[int]]
_member_id_finders: list[MemberIdFinder] = []


def member_id_finder_register(finder: MemberIdFinder) -> None:
    """Let search find patients by an insurance member id (called once, from an AppConfig.ready)."""
    if finder not in _member_id_finders:
        _member_id_finders.append(finder)


@dataclass(frozen=True)
class PatientHit:
    """What a search result may show: the minimum needed to pick the right person."""

    mrn: str
    display_name: str
    date_of_birth: date
    age: int
    phone_last4: str
    status: str  # "" when active, else "Inactive" / "Deceased"
    restricted: bool
    match: str


@dataclass
class SearchResult:
    kind: str
    hits: list[PatientHit] = field(default_factory=list)
    problem: str = ""


def _prefix(text: str) -> Q:
    # SQLite's LIKE ignores case and so cannot use the index; a range on the raw bytes can.
    # Terms hold only a-z and 0-9, so "\x7f" sorts after every continuation.
    if connection.vendor == "sqlite":
        return Q(term__gte=text, term__lt=text + "\x7f")
    return Q(term__startswith=text)  # LIKE 'text%' through the varchar_pattern_ops index


def _existing_terms(candidates: set[str]) -> list[str]:
    """Which of `candidates` are indexed words (usually a handful of the ~300 spellings).

    Asked first, of the small vocabulary table, so the row query gets a short exact IN list;
    given the long list with a LIMIT, PostgreSQL overestimates the matches and scans the table.
    """
    if not candidates:
        return []
    return sorted(SearchWord.objects.filter(term__in=sorted(candidates)).values_list("term", flat=True))


class _Conditions:
    """The index condition for each typed word at each rank, with typo spellings looked up once."""

    def __init__(self) -> None:
        self._typos: dict[str, list[str]] = {}

    def __call__(self, token: str, rank: int) -> Q:
        if rank == EXACT:
            return Q(term=token, source__lt=TermSource.NICKNAME)
        condition = _prefix(token)
        if rank >= NICKNAME and (forms := nickname_forms(token)):
            condition |= Q(term__in=sorted(forms))
        if rank >= TYPO and len(token) >= _MIN_TYPO_LENGTH:
            if token not in self._typos:
                self._typos[token] = _existing_terms(one_edit_away(token))
            if self._typos[token]:
                condition |= Q(term__in=self._typos[token])
        return condition


def _rank_applies(tokens: list[str], rank: int) -> bool:
    if rank == NICKNAME:
        return any(nickname_forms(t) for t in tokens)
    if rank == TYPO:
        return any(len(t) >= _MIN_TYPO_LENGTH for t in tokens)
    return True


def _rarest(tokens: list[str], rank: int, condition: _Conditions) -> str:
    """The word with the fewest matching index rows (counted up to a cap): it drives the query.

    The others are then checked once per driving row, so a rare word ("umux") beside a common
    one ("richard") costs a handful of probes instead of thousands.
    """
    if len(tokens) == 1:
        return tokens[0]
    counts = {t: PatientSearchTerm.objects.filter(condition(t, rank))[:_DRIVER_COUNT_CAP].count() for t in tokens}
    return min(tokens, key=lambda t: (counts[t], -len(t)))


def _candidates_by_name(tokens: list[str], limit: int) -> list[int]:
    """Primary keys of patients whose names match every token, best ranks first (bounded)."""
    found: list[int] = []
    condition = _Conditions()
    for rank in (EXACT, PREFIX, NICKNAME, TYPO):
        if not _rank_applies(tokens, rank):
            continue
        driver = _rarest(tokens, rank, condition)
        others = [t for t in tokens if t != driver]
        rows = PatientSearchTerm.objects.filter(condition(driver, rank))
        for other in others:
            rows = rows.filter(
                Exists(PatientSearchTerm.objects.filter(condition(other, rank), patient_id=OuterRef("patient_id")))
            )
        for patient_id in rows.values_list("patient_id", flat=True)[: limit * 3]:
            if patient_id not in found:
                found.append(patient_id)
        if len(found) >= limit:
            break
    return found


def _token_rank(token: str, terms: dict[str, int]) -> int | None:
    best: int | None = None
    forms = nickname_forms(token)
    for term, source in terms.items():
        nickname = source == TermSource.NICKNAME
        if term == token:
            rank = NICKNAME if nickname else EXACT
        elif term.startswith(token):
            rank = NICKNAME if nickname else PREFIX
        elif term in forms:
            rank = NICKNAME
        elif len(token) >= _MIN_TYPO_LENGTH and not nickname and within_one_edit(token, term):
            rank = TYPO
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


def _terms_of(patient_ids: list[int]) -> dict[int, dict[str, int]]:
    terms: dict[int, dict[str, int]] = {pk: {} for pk in patient_ids}
    rows = PatientSearchTerm.objects.filter(patient_id__in=patient_ids).values_list("patient_id", "term", "source")
    for patient_id, term, source in rows:
        terms[patient_id][term] = min(source, terms[patient_id].get(term, source))
    return terms


def _name_key(patient: Patient) -> tuple[str, str]:
    return fold(patient.last_name), fold(patient.first_name)


def _hits(patients: list[Patient], labels: dict[int, str], today: date) -> list[PatientHit]:
    restricted = set(
        RestrictedRecord.objects.filter(patient_id__in=[p.mrn for p in patients]).values_list("patient_id", flat=True)
    )
    hits = []
    for patient in patients:
        phones = sorted(patient.phones.all(), key=lambda p: ("mobile", "home", "work").index(p.kind))
        hits.append(
            PatientHit(
                mrn=patient.mrn,
                display_name=patient.display_name,
                date_of_birth=patient.date_of_birth,
                age=patient.age_on(today),
                phone_last4=phones[0].number[-4:] if phones else "",
                status="" if patient.status == "active" else patient.get_status_display(),
                restricted=patient.mrn in restricted,
                match=labels[patient.pk],
            )
        )
    return hits


# A hit needs only these; the SSN in particular is never decrypted for a result list.
_HIT_FIELDS = ("mrn", "first_name", "middle_name", "last_name", "suffix", "preferred_name", "date_of_birth", "status")


def _load(ids: Iterable[int]) -> list[Patient]:
    return list(live_patients().filter(pk__in=list(ids)).only(*_HIT_FIELDS).prefetch_related("phones"))


def _exact(patients: Iterable[Patient], label: str, limit: int, today: date) -> list[PatientHit]:
    chosen = sorted(patients, key=_name_key)[:limit]
    return _hits(chosen, {p.pk: label for p in chosen}, today)


def _by_name(query: ParsedQuery, limit: int, today: date) -> list[PatientHit]:
    tokens = query.names
    if query.dob is not None:
        ids = list(Patient.objects.filter(date_of_birth=query.dob).values_list("pk", flat=True)[:_DOB_CANDIDATES])
    else:
        ids = _candidates_by_name(tokens, limit)
    terms = _terms_of(ids)
    scored: dict[int, tuple[int, int, int]] = {}
    for patient_id in ids:
        ranks = [_token_rank(t, terms[patient_id]) for t in tokens]
        if any(r is None for r in ranks):
            continue
        known = [r for r in ranks if r is not None]
        comma = query.comma_last
        last_first = 0 if not comma or terms[patient_id].get(comma) == TermSource.LAST else 1
        scored[patient_id] = (max(known), sum(known), last_first)
    patients = _load(scored)
    patients.sort(key=lambda p: (scored[p.pk], _name_key(p)))
    patients = patients[:limit]
    labels = {p.pk: MATCH_LABELS[scored[p.pk][0]] for p in patients}
    if query.dob is not None:
        labels = {pk: f"{label} and date of birth" for pk, label in labels.items()}
    return _hits(patients, labels, today)


def live_patients() -> BlindIndexQuerySet[Patient]:
    """Patients not merged into another (a merged record's MRN is an alias of its survivor)."""
    return Patient.objects.filter(~Exists(PatientAlias.objects.filter(mrn=OuterRef("mrn"))))


def patient_search(*, query: ParsedQuery, today: date, limit: int = MAX_RESULTS) -> SearchResult:
    """Patients matching `query`, best first, at most `limit`. Never raises for odd input.

    Merged records never appear; their old MRN finds the survivor ("former MRN").
    """
    result = SearchResult(kind=query.kind, problem=query.problem)
    patients = live_patients().only(*_HIT_FIELDS).prefetch_related("phones")
    if query.kind == Kind.MRN and query.mrn:
        result.hits = _exact(patients.filter(mrn=query.mrn), "MRN", limit, today)
        if not result.hits:
            survivor = PatientAlias.objects.filter(mrn=query.mrn).values_list("patient_id", flat=True)
            result.hits = _exact(patients.filter(pk__in=survivor), "former MRN", limit, today)
    elif query.kind == Kind.PHONE and query.phone:
        ids = patients.filter(phones__number=query.phone).values_list("pk", flat=True)[: limit * 3]
        result.hits = _exact(_load(ids), "phone", limit, today)
    elif query.kind == Kind.DOB and query.dob:
        found = patients.filter(date_of_birth=query.dob).order_by("last_name", "first_name")[:limit]
        result.hits = _exact(found, "date of birth", limit, today)
    elif query.kind == Kind.SSN:
        try:
            ssn = ssn_clean(query.ssn)
        except ValueError as exc:
            result.problem = str(exc)
        else:
            result.hits = _exact(patients.filter_by_blind_index("ssn", ssn)[:limit], "SSN", limit, today)
    elif query.names:
        result.hits = _by_name(query, limit, today)
    if query.member_id and not result.hits and _member_id_finders:
        owners = {pk for finder in _member_id_finders for pk in finder(query.member_id)}
        result.hits = _exact(_load(sorted(owners)[: limit * 3]), "member ID", limit, today)
        if result.hits:
            result.kind, result.problem = Kind.MEMBER_ID, ""
    return result
