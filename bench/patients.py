"""Patient benchmarks: seeded CSV, import throughput and memory, search latency, registration time.

The dataset is a practice's patient list written as CSV from seeded data and loaded with the
real importer (`patient_import`), so the import is measured and the search and registration
benchmarks then run over what it loaded. Names come from `clinicdesk.patients.demo` (common
names repeat, as in a real practice: a few hundred "Jennifer Smith"s in a million) plus a
long tail of seeded made-up surnames, so the name index has a realistic mix of very common and
rare words. Phones are unique and valid (`phone_e164` accepts them): 20 area codes of the demo,
exchanges 201 and up.
"""

from __future__ import annotations

import csv
import random
import resource
import statistics
import time
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from clinicdesk.patients.demo import ALERTS, AREA_CODES, FEMALE, LANGUAGES, LAST, MALE, PLACES, STREETS

SEED = 20261127
TODAY = date(2026, 1, 1)
COLUMNS = (
    "external_id", "first_name", "middle_name", "last_name", "date_of_birth", "sex", "phone_mobile", "phone_home",
    "email", "address_line1", "city", "state", "zip_code", "preferred_language", "alerts",
)  # fmt: skip
_SYLLABLES = (
    "ka", "ro", "mi", "tan", "vel", "dor", "ash", "ben", "lu", "sor", "ni", "wex", "pa", "gri", "ol", "ter",
    "zan", "qui", "mar", "es", "ho", "lin", "fe", "brad", "ul", "cor", "yi", "den", "sha", "tov",
)  # fmt: skip
KINDS = ("name prefix", "full name, one typo", "DOB", "phone", "MRN")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def phone_for(i: int) -> str:
    """The i-th bench phone number: unique for every i below 15,980,000, and valid."""
    area = AREA_CODES[i % len(AREA_CODES)]
    rest = i // len(AREA_CODES)
    exchange, line = 201 + rest // 10_000, rest % 10_000
    return f"({area}) {exchange:03d}-{line:04d}"


def _surname(rng: random.Random) -> str:
    # 70 % from the demo's common surnames; the rest a long tail of ~27,000 made-up ones.
    if rng.random() < 0.7:
        return rng.choice(LAST)
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3)))).title()


def person(rng: random.Random, i: int) -> dict[str, str]:
    sex = rng.choice("FFFFMMMMU")
    first = rng.choice(FEMALE if sex == "F" else MALE if sex == "M" else FEMALE + MALE)
    city, zip_code = rng.choice(PLACES)
    born = TODAY - timedelta(days=int(rng.triangular(0, 95, 45) * 365.25))
    return {
        "external_id": f"B{i:08d}",
        "first_name": first,
        "middle_name": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else "",
        "last_name": _surname(rng),
        "date_of_birth": born.isoformat(),
        "sex": sex,
        "phone_mobile" if rng.random() < 0.8 else "phone_home": phone_for(i),
        "email": f"{_ascii(first).lower()}.{i}@example.com" if rng.random() < 0.6 else "",
        "address_line1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
        "city": city,
        "state": "NY",
        "zip_code": zip_code,
        "preferred_language": rng.choice(LANGUAGES),
        "alerts": rng.choice(ALERTS),
    }


def csv_write(path: Path, count: int, seed: int = SEED) -> None:
    """`count` seeded patients as an import CSV, streamed (constant memory)."""
    rng = random.Random(seed)  # noqa: S311  (reproducible, not secret)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS, restval="")
        writer.writeheader()
        for i in range(count):
            writer.writerow(person(rng, i))


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def check_bench(path: Path) -> dict:
    """Read and check every row of `path` as the importer does, writing nothing: the rate one
    process can feed the writer at, whatever the database does."""
    from clinicdesk.core import clock
    from clinicdesk.patients.importing import RowProblem, check_file, read_rows, row_to_input
    from clinicdesk.patients.patient_import import _values
    from clinicdesk.patients.services import _validate

    info = check_file(path)
    today = clock.today()
    rows = 0
    started = time.perf_counter()
    for _line, row, _cells in read_rows(path, info):
        rows += 1
        try:
            external_id, data = row_to_input(row)
        except RowProblem:
            continue
        clean, _phones, ssn, errors = _validate(data, registering=True, today=today)
        if not errors:
            _values(clean, external_id, ssn, errors, today)
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "per_second": rows / seconds}


def import_bench(path: Path, rejects: Path, rows: int, advance: Callable[[int], None]) -> dict:
    """Run the real importer over `path`; rows/s, current RSS at each tenth, peak RSS."""
    from clinicdesk.patients.patient_import import patient_import

    samples: list[tuple[int, float]] = []
    step = max(rows // 10, 1)
    done = 0

    def on_progress(n: int) -> None:
        nonlocal done
        done += n
        if done % step == 0:
            samples.append((done, _rss_mb()))
        if done % 1000 == 0:
            advance(1000)

    rss_before, peak_before = _rss_mb(), _peak_mb()
    started = time.perf_counter()
    result = patient_import(actor=None, system="bench", path=path, rejects=rejects, on_progress=on_progress)
    seconds = time.perf_counter() - started
    if result.created != rows or result.rejected:
        raise SystemExit(f"import should create {rows} patients: {result}; see {rejects}")
    return {
        "rows": rows,
        "seconds": seconds,
        "per_second": rows / seconds,
        "rss_before_mb": rss_before,
        "peak_before_mb": peak_before,
        "peak_mb": _peak_mb(),
        "rss_samples": samples,
    }


def _typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word))
    letters = [c for c in "aeioubcdfghklmnprstvwy" if c != word[at].lower()]
    return word[:at] + rng.choice(letters) + word[at + 1 :]


def queries(count: int, rng: random.Random) -> dict[str, list[tuple[str, int]]]:
    """`count` (typed text, patient pk) per kind, for randomly chosen imported patients."""
    from django.db.models import Max, Min

    from clinicdesk.patients.models import Patient

    bounds = Patient.objects.aggregate(low=Min("pk"), high=Max("pk"))
    chosen = [rng.randint(bounds["low"], bounds["high"]) for _ in range(count)]
    patients = {p.pk: p for p in Patient.objects.filter(pk__in=chosen).prefetch_related("phones")}
    picked = [patients[pk] for pk in chosen if pk in patients]
    out: dict[str, list[tuple[str, int]]] = {kind: [] for kind in KINDS}
    for p in picked:
        last = _ascii(p.last_name)
        out["name prefix"].append((last[: rng.randint(3, 5)].lower(), p.pk))
        if len(p.last_name) >= 4:
            out["full name, one typo"].append((f"{p.first_name} {_typo(p.last_name, rng)}", p.pk))
        else:
            out["full name, one typo"].append((f"{_typo(p.first_name, rng)} {p.last_name}", p.pk))
        out["DOB"].append((p.date_of_birth.strftime("%m/%d/%Y"), p.pk))
        number = p.phones.all()[0].number  # +1AAAEEELLLL
        out["phone"].append((f"({number[2:5]}) {number[5:8]}-{number[8:]}", p.pk))
        out["MRN"].append((p.mrn, p.pk))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(times: list[float]) -> dict:
    ms = [t * 1000 for t in times]
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": _percentile(ms, 0.95), "max_ms": max(ms)}


def search_bench(per_kind: dict[str, list[tuple[str, int]]], warmup: int = 20) -> dict:
    """p50/p95 of parse_query + patient_search per kind, interleaved, and of a bare MRN lookup."""
    from clinicdesk.patients.models import Patient
    from clinicdesk.patients.search.query import Kind, parse_query
    from clinicdesk.patients.search.selectors import patient_search

    today = date.today()
    expected_kind = {"name prefix": Kind.NAME, "full name, one typo": Kind.NAME, "DOB": Kind.DOB,
                     "phone": Kind.PHONE, "MRN": Kind.MRN}  # fmt: skip
    times: dict[str, list[float]] = {kind: [] for kind in (*KINDS, "bare MRN lookup")}
    hits: dict[str, list[int]] = {kind: [] for kind in KINDS}
    found: dict[str, int] = dict.fromkeys(KINDS, 0)
    rounds = len(per_kind["MRN"])
    for i in range(-min(warmup, rounds), rounds):
        j = i % rounds
        for kind in KINDS:
            text, pk = per_kind[kind][j]
            started = time.perf_counter()
            parsed = parse_query(text, today=today)
            result = patient_search(query=parsed, today=today)
            elapsed = time.perf_counter() - started
            if i < 0:
                continue
            if parsed.kind != expected_kind[kind]:
                raise SystemExit(f"{text!r} was read as {parsed.kind}, not {expected_kind[kind]}")
            times[kind].append(elapsed)
            hits[kind].append(len(result.hits))
            mrn = per_kind["MRN"][j][0]
            found[kind] += any(h.mrn == mrn for h in result.hits)
        mrn = per_kind["MRN"][j][0]
        started = time.perf_counter()
        rows = list(Patient.objects.filter(mrn=mrn))
        elapsed = time.perf_counter() - started
        if i >= 0:
            times["bare MRN lookup"].append(elapsed)
            assert len(rows) == 1
    out = {kind: _summary(t) for kind, t in times.items()}
    for kind in KINDS:
        out[kind]["mean_hits"] = statistics.mean(hits[kind])
        out[kind]["found"] = found[kind]
    return out


def registration_bench(count: int, first_phone: int, rng: random.Random, warmup: int = 10) -> dict:
    """Server time of POST /patients/new/ (form, duplicate check, register, redirect) via the test Client."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    from clinicdesk.accounts.models import User
    from clinicdesk.core.capabilities import Role

    user = User(username="bench-frontdesk", role=Role.FRONT_DESK, display_name="Bench Front Desk")
    user.set_password("correct horse battery staple")
    user.save()
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    times: list[float] = []
    statuses: dict[int, int] = {}
    for i in range(-warmup, count):
        p = person(rng, first_phone + warmup + i)
        form = {
            "first_name": p["first_name"], "middle_name": p["middle_name"], "last_name": p["last_name"],
            "date_of_birth": date.fromisoformat(p["date_of_birth"]).strftime("%m/%d/%Y"), "sex_at_birth": p["sex"],
            "preferred_language": p["preferred_language"], "phone_mobile": phone_for(first_phone + warmup + i),
            "email": p["email"], "address_line1": p["address_line1"], "city": p["city"], "state": "NY",
            "zip_code": p["zip_code"], "status": "active", "alerts": p["alerts"],
        }  # fmt: skip
        started = time.perf_counter()
        response = client.post("/patients/new/", form)
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 302):
            raise SystemExit(f"registration answered {response.status_code}: {response.content[:500]!r}")
        if i >= 0:
            times.append(elapsed)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return {**_summary(times), "registered": statuses.get(302, 0), "duplicate_warnings": statuses.get(200, 0)}
