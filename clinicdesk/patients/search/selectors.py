"""Finding patients from one typed string, ranked. Reads only; `access.py` audits the search.

Ranking, best first: an exact MRN, phone, SSN, member id or date of birth; then names where
every typed word is a whole name of the patient; then where some word is only the beginning
of one; then nickname matches (Bill finds William); then spellings one letter off. Within a
rank, by last name and first name.

Every lookup is an index probe or an index range scan, so the cost does not grow with the
number of patients: names go through `PatientSearchTerm.term`, the rest through the indexes
the patients table already has.

A name search, in this order:

1. Asks the vocabulary (`SearchWord`, one row per distinct word) which of the typed words,
   their nickname forms and, only if the typo rank is reached, their ~300 one-letter-off
   spellings are indexed words: one query each time, whatever the number of words typed.
   Plus, for a word that is not itself indexed, one probe for whether any word begins with it.
2. Skips every rank some word cannot match at (a mistyped "smtih" is no whole name and no
   beginning of one, so only the typo rank runs) or that would repeat the rank before (no
   nickname forms: the nickname rank is the prefix rank again).
3. Runs each remaining rank as one bounded statement over the (term, patient, source) index,
   which covers the lookup, so no table row is read. The words' row counts are probed up to
   `_DRIVER_COUNT_CAP` (once per distinct condition, not per rank). If the rarest is under
   the cap, its rows drive and check the other words with EXISTS: at most a few hundred
   index probes. If every word is common ("zelda smoth": ~11k Zeldas, ~10k Smiths in a
   million), probing per row would cost thousands when the combination is rare, so the
   words' patient sets are intersected (INTERSECT): each common word's index entries are read
   once, contiguously, instead of one probe each. Words under three letters ("jennifer s")
   stay per-row checks, since their prefixes can span much of the index. This step still
   reads O(rows of the common words), which grows with the practice; see docs/patient-search.md.
4. Stops once it has enough candidates; `_by_name` then scores and orders them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import reduce

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from clinicdesk.accounts.models import RestrictedRecord
from clinicdesk.core.bulk import values_present
from clinicdesk.core.fields import BlindIndexQuerySet
from clinicdesk.patients.models import Patient
from clinicdesk.patients.services import ssn_clean

from .models import PatientAlias, PatientNamePair, PatientSearchTerm, SearchWord, TermSource
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
    date_of_birth: date | None  # None (and age None): a masked record, see patients/display.py
    age: int | None
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


@dataclass
class _Word:
    """One typed word and what the vocabulary says it can match, looked up once per search."""

    token: str
    exact: bool = False  # the word itself is indexed
    prefixed: bool = False  # some indexed word begins with it (itself included)
    nicknames: list[str] = field(default_factory=list)  # indexed canonical names it stands for
    typos: list[str] | None = None  # indexed spellings one letter off; None until the TYPO rank needs them

    def condition(self, rank: int) -> Q | None:
        """The index condition for this word at `rank` (ranks include the looser ones above); None: no match."""
        if rank == EXACT:
            return Q(term=self.token, source__lt=TermSource.NICKNAME) if self.exact else None
        parts = [_prefix(self.token)] if self.prefixed else []
        terms = set(self.nicknames if rank >= NICKNAME else []) | set((self.typos or []) if rank >= TYPO else [])
        if terms:
            parts.append(Q(term__in=sorted(terms)))
        return reduce(operator.or_, parts) if parts else None


def _vocabulary(candidates: Iterable[str]) -> set[str]:
    """Which of `candidates` are indexed words: one probe of the small vocabulary table.

    Asked first so that a row query gets a short exact IN list (given the ~300 spellings one
    letter off with a LIMIT, PostgreSQL overestimates the matches and scans the table), and so
    that a rank no word can match is never run.
    """
    # One array parameter on PostgreSQL: binding ~300 separate IN parameters costs more than the lookup.
    return values_present(SearchWord, "term", sorted(set(candidates)))


def _words(tokens: list[str]) -> list[_Word]:
    forms = {t: nickname_forms(t) for t in tokens}
    known = _vocabulary([*tokens, *(f for fs in forms.values() for f in fs)])
    words = []
    for token in dict.fromkeys(tokens):  # a word typed twice is one condition
        exact = token in known
        prefixed = exact or PatientSearchTerm.objects.filter(_prefix(token)).exists()
        words.append(_Word(token, exact, prefixed, sorted(forms[token] & known)))
    return words


def _typos_look_up(words: list[_Word]) -> None:
    spellings = {w.token: one_edit_away(w.token) if len(w.token) >= _MIN_TYPO_LENGTH else set() for w in words}
    known = _vocabulary(s for ss in spellings.values() for s in ss)
    for w in words:
        w.typos = sorted(spellings[w.token] & known)


def _rank_worth_running(words: list[_Word], rank: int) -> bool:
    """False when some word cannot match at `rank`, or when the rank adds nothing to the one before."""
    if rank == NICKNAME and not any(w.nicknames for w in words):
        return False  # same condition as PREFIX
    if rank == TYPO:
        _typos_look_up(words)
        if not any(w.typos for w in words):
            return False
    return all(w.condition(rank) is not None for w in words)


def _count(condition: Q, counts: dict[str, int]) -> int:
    key = str(condition)
    if key not in counts:
        rows = PatientSearchTerm.objects.filter(condition).values("patient_id")  # index-only
        counts[key] = rows[:_DRIVER_COUNT_CAP].count()
    return counts[key]


def _patient_ids_matching(words: list[_Word], rank: int, counts: dict[str, int], limit: int) -> list[int]:
    """Patients matching every word at `rank`, one statement, at most `limit` (with repeats).

    The rarest condition (counted up to a cap) drives; if it has fewer rows than the cap, each
    of its rows checks the others with EXISTS, a few hundred index probes at most. If every
    word is common (all at the cap), per-row probes would cost thousands when the combination
    is rare ("zelda smoth"), so the words' patient sets are intersected instead (INTERSECT:
    each word's index entries read once, hashed); words shorter than `_MIN_TYPO_LENGTH`, whose
    prefixes may cover a good part of the index ("jennifer s"), are then checked per row.
    """
    conditions = [(w, c) for w in words if (c := w.condition(rank)) is not None]
    rows = PatientSearchTerm.objects.values_list("patient_id", flat=True)
    if len(conditions) == 1:
        return list(rows.filter(conditions[0][1])[:limit])
    sized = sorted((_count(c, counts), -len(w.token), i) for i, (w, c) in enumerate(conditions))
    if sized[0][0] < _DRIVER_COUNT_CAP:
        driven, checked = [conditions[sized[0][2]][1]], [conditions[i][1] for _, _, i in sized[1:]]
    else:
        wide = [c for w, c in conditions if len(w.token) < _MIN_TYPO_LENGTH]
        narrow = [c for w, c in conditions if len(w.token) >= _MIN_TYPO_LENGTH]
        driven, checked = (narrow, wide) if narrow else (wide[:1], wide[1:])
    sets = [rows.filter(c) for c in driven]
    for other in checked:
        exists = Exists(PatientSearchTerm.objects.filter(other, patient_id=OuterRef("patient_id")))
        sets[0] = sets[0].filter(exists)
    found = sets[0].intersection(*sets[1:]).order_by("patient_id") if len(sets) > 1 else sets[0]
    return list(found[:limit])


def _pair_terms(word: _Word, rank: int) -> list[str]:
    """The exact words `word` stands for at `rank`: itself if indexed, then nicknames, then typos."""
    terms = [word.token] if word.exact else []
    if rank >= NICKNAME:
        terms += word.nicknames
    if rank >= TYPO:
        terms += word.typos or []
    return sorted(set(terms))


def _patient_ids_by_pair(words: list[_Word], rank: int, limit: int) -> list[int]:
    """Two words: patients with one as a family word and the other as a given word, either way.

    One lookup of `PatientNamePair` per orientation, each an index range per family word, so it
    reads only the patients who have both words, however many have either.
    """
    first, second = (_pair_terms(w, rank) for w in words)
    if not first or not second:
        return []
    either_way = Q(family__in=first, given__in=second) | Q(family__in=second, given__in=first)
    return list(PatientNamePair.objects.filter(either_way).values_list("patient_id", flat=True)[:limit])


def _candidates_by_name(tokens: list[str], limit: int) -> list[int]:
    """Primary keys of patients whose names match every token, best ranks first (bounded).

    Two words at the whole-word, nickname and typo ranks go through the name pairs (the common
    "first last" search); a prefix rank, one word or three go through the words one by one.
    When the pairs find no one (two given names typed, say "mary ann"), the word-by-word ranks
    run after all.
    """
    words = _words(tokens)
    found = _run_ranks(words, limit, pairs=len(words) == 2)
    if not found and len(words) == 2:
        found = _run_ranks(words, limit, pairs=False)
    return found


def _run_ranks(words: list[_Word], limit: int, *, pairs: bool) -> list[int]:
    found: list[int] = []
    counts: dict[str, int] = {}
    for rank in (EXACT, PREFIX, NICKNAME, TYPO):
        if not _rank_worth_running(words, rank):
            continue
        if pairs and rank != PREFIX:
            ids = _patient_ids_by_pair(words, rank, limit * 3)
        else:
            ids = _patient_ids_matching(words, rank, counts, limit * 3)
        for patient_id in ids:
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
        if not result.hits and query.dob is not None:  # 03141962: no such MRN, so the birthday
            found = patients.filter(date_of_birth=query.dob).order_by("last_name", "first_name")[:limit]
            result.hits, result.kind = _exact(found, "date of birth", limit, today), Kind.DOB
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
