"""The machine the run happened on, and the result tables as rich tables and as Markdown."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.table import Table as RichTable

APPEND_TARGET = 0.5
VERIFY_TARGET = 200_000
READ_TARGET_MS = 2.0


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def rich(self) -> RichTable:
        table = RichTable(title=self.title, title_justify="left", caption="\n".join(self.notes), caption_justify="left")
        for n, column in enumerate(self.columns):
            table.add_column(column, justify="left" if n < 2 else "right")
        for row in self.rows:
            table.add_row(*row)
        return table

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", "| " + " | ".join(self.columns) + " |"]
        lines.append("|" + "|".join(["---"] + ["---"] + ["---:"] * (len(self.columns) - 2)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines += [""] + self.notes
        return "\n".join(lines) + "\n"


def machine(postgres_version: str) -> list[tuple[str, str]]:
    return [
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Machine", f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version),
    ]


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def append_table(results: dict[str, dict], seconds: float) -> Table:
    table = Table(
        "1. Audit append throughput (events/s)",
        [
            "Database",
            "Writers",
            "Chained (audit_record)",
            "Plain INSERT (baseline)",
            "Ratio chained/plain",
            f"Target ≥ {APPEND_TARGET}",
            "ORM save, no chain",
            "Ratio chained/ORM",
            "Events timed (chained / plain / ORM)",
            "Chain length before",
            "Design: 4 chains (PostgreSQL)",
            "Ratio 4 chains/plain",
        ],
    )
    for database, result in results.items():
        runs = {(a["kind"], a["writers"]): a for a in result["appends"]}
        for writers in sorted({w for _, w in runs}):
            chained, plain, orm = runs["chained", writers], runs["plain", writers], runs["orm", writers]
            ratio = chained["per_second"] / plain["per_second"]
            table.rows.append(
                [
                    database,
                    str(writers),
                    _rate(chained["per_second"]),
                    _rate(plain["per_second"]),
                    f"{ratio:.2f}",
                    _met(ratio >= APPEND_TARGET),
                    _rate(orm["per_second"]),
                    f"{chained['per_second'] / orm['per_second']:.2f}",
                    f"{chained['events']:,} / {plain['events']:,} / {orm['events']:,}",
                    f"{result['verify']['events']:,}",
                    *(
                        [_rate(sharded["per_second"]), f"{sharded['per_second'] / plain['per_second']:.2f}"]
                        if (sharded := runs.get(("sharded", writers)))
                        else ["—", "—"]
                    ),
                ]
            )
    table.notes = [
        f"Each figure: separate processes, each with its own connection, appending for {seconds:g} s after a "
        "warm-up; one event per transaction. Chained = `audit_record` inside `transaction.atomic()` "
        "(lock, read of the chain head, SHA-256, insert: on PostgreSQL one call of the `audit_append` SQL function, on SQLite "
        "three statements under the IMMEDIATE transaction's write lock). Plain = a raw INSERT of the "
        "same values into a copy of the audit table (same columns, indexes, foreign key and rows) without lock, "
        "read or hash. ORM save, no chain = `AuditEvent(...).save()` of the same values into that copy: the gap "
        "between it and Chained is the chain alone, the gap between it and Plain is the ORM. On SQLite every "
        "transaction begins IMMEDIATE, as in the application.",
        "Design: 4 chains = the design that would meet the target on PostgreSQL, measured in the same run but not "
        "in the application (bench/audit_append.py, `sharded_table_create`): four chains side by side in a copy of "
        "the audit table, a writer taking the first chain whose lock is free, the same SQL append otherwise; every "
        "chain is checked gap-free and linked afterwards. Why it is not taken: bench/UNMET-TARGETS.md.",
    ]
    return table


def verify_table(results: dict[str, dict]) -> Table:
    table = Table(
        "2. `audit verify` speed",
        [
            "Database",
            "Events",
            "Verify (events/s), as the command runs",
            "Verify time",
            "Processes",
            "Verify, 1 process (events/s)",
            "Fetch only (rows/s, baseline)",
            "Ratio verify/fetch",
            f"Target ≥ {VERIFY_TARGET:,}/s",
            "Chain load time",
        ],
    )
    for database, result in results.items():
        v = result["verify"]
        verify_rate, fetch_rate = v["events"] / v["verify_seconds"], v["events"] / v["fetch_seconds"]
        table.rows.append(
            [
                database,
                f"{v['events']:,}",
                _rate(verify_rate),
                f"{v['verify_seconds']:.2f} s",
                str(v.get("jobs", 1)),
                _rate(v["events"] / v.get("single_seconds", v["verify_seconds"])),
                _rate(fetch_rate),
                f"{verify_rate / fetch_rate:.2f}",
                _met(verify_rate >= VERIFY_TARGET),
                f"{v['load_seconds']:.1f} s",
            ]
        )
    rounds = next(iter(results.values()))["verify"]["rounds"]
    table.notes = [
        f"Best of {rounds} round{'s' if rounds != 1 else ''} each, alternated. Verify = `audit_verify()` with the "
        "processes `clinicdesk audit verify` uses by default (one per core, at most 4, each checking parts of "
        "100,000 events with its own connection), and again in one process (every check: seq gaps, links, "
        "SHA-256 of each row), asserted to find the chain intact with exactly the events loaded. Fetch only = the "
        "same query through the same cursor and batches, rows discarded. The chain is generated with the "
        "application's `event_hash` and bulk-loaded (executemany / COPY) into the real audit table.",
    ]
    return table


def read_table(results: dict[str, dict]) -> Table:
    table = Table(
        "3. Latency an audit event adds to a PHI read (ms)",
        [
            "Database",
            "Reads each",
            "Unaudited median",
            "Audited median",
            "Added (median)",
            "Ratio audited/unaudited",
            f"Target added ≤ {READ_TARGET_MS:g} ms",
            "p95 unaudited / audited",
        ],
    )
    for database, result in results.items():
        r = result["reads"]
        added = r["audited_median_ms"] - r["unaudited_median_ms"]
        table.rows.append(
            [
                database,
                f"{r['iterations']:,}",
                f"{r['unaudited_median_ms']:.3f}",
                f"{r['audited_median_ms']:.3f}",
                f"{added:.3f}",
                f"{r['audited_median_ms'] / r['unaudited_median_ms']:.1f}",
                _met(added <= READ_TARGET_MS),
                f"{r['unaudited_p95_ms']:.3f} / {r['audited_p95_ms']:.3f}",
            ]
        )
    table.notes = [
        "Unaudited = `User.objects.get(public_id=…)` (a staff row stands in for a patient row until patients "
        'exist). Audited = the same fetch plus `audit_record(action="read")` in one `transaction.atomic()`, '
        "as `access_patient` will do. Pairs are interleaved; the chain already holds the loaded events.",
    ]
    return table


SEARCH_TARGET_MS = 50.0
IMPORT_TARGET = 10_000
REGISTRATION_TARGET_MS = 100.0
SEARCH_KINDS = ("name prefix", "full name, one typo", "DOB", "phone", "MRN")


def search_table(results: dict[str, dict]) -> Table:
    table = Table(
        "4. Patient search latency (ms)",
        [
            "Database",
            "Query kind",
            "Patients",
            "Searches",
            "p50",
            "p95",
            f"Target p95 ≤ {SEARCH_TARGET_MS:g} ms",
            "Bare MRN lookup p50 / p95 (baseline)",
            "Ratio p50 / bare p50",
            "Mean hits",
            "Chosen patient among hits",
        ],
    )
    for database, result in results.items():
        s = result["search"]
        bare = s["bare MRN lookup"]
        for kind in SEARCH_KINDS:
            k = s[kind]
            table.rows.append(
                [
                    database,
                    kind,
                    f"{result['patients']:,}",
                    f"{k['n']:,}",
                    f"{k['p50_ms']:.2f}",
                    f"{k['p95_ms']:.2f}",
                    _met(k["p95_ms"] <= SEARCH_TARGET_MS),
                    f"{bare['p50_ms']:.2f} / {bare['p95_ms']:.2f}",
                    f"{k['p50_ms'] / bare['p50_ms']:.1f}",
                    f"{k['mean_hits']:.1f}",
                    f"{k['found']:,} / {k['n']:,}",
                ]
            )
    table.notes = [
        "Each search = `parse_query(text)` + `patient_search(query=…)` (clinicdesk/patients/search/query.py and "
        "selectors.py), the hits built in full; not the view, so neither the page rendering nor the audit event "
        "the view's `access_search` appends is included (table 3 gives what an audit event adds). Texts are made "
        "from randomly chosen imported patients: a 3–5 letter prefix of the last name; first and last name with "
        "one letter of the last name (or, for 3-letter last names, of the first name) replaced; the date of birth "
        "as MM/DD/YYYY; the phone as (AAA) EEE-LLLL; the MRN. Kinds are interleaved, after 20 warm-up rounds. "
        "Bare MRN lookup = `list(Patient.objects.filter(mrn=…))` for the same MRN in the same round. "
        "“Chosen patient among hits”: a common name or birthday matches more than the 20 hits shown. "
        "`VACUUM ANALYZE` (PostgreSQL) or `ANALYZE` (SQLite) was run after the import, as autovacuum would.",
    ]
    return table


def import_table(results: dict[str, dict]) -> Table:
    table = Table(
        "5. Patient import (`patient_import`)",
        [
            "Database",
            "Rows",
            "Rows/s",
            f"Target ≥ {IMPORT_TARGET:,}/s (PostgreSQL)",
            "Time",
            "RSS at 10 % / 50 % / 100 % of rows (MB)",
            "Peak RSS before / after import (MB)",
            "Read and check only, one process (rows/s)",
        ],
    )
    for database, result in results.items():
        i = result["import"]
        samples = {int(n): mb for n, mb in i["rss_samples"]}
        rows = i["rows"]
        picks = [samples.get(rows * k // 10) for k in (1, 5, 10)]
        table.rows.append(
            [
                database,
                f"{rows:,}",
                _rate(i["per_second"]),
                _met(i["per_second"] >= IMPORT_TARGET) if database == "PostgreSQL" else "—",
                f"{i['seconds']:.1f} s",
                " / ".join(f"{mb:.0f}" if mb is not None else "?" for mb in picks),
                f"{i['peak_before_mb']:.0f} / {i['peak_mb']:.0f}",
                _rate(i["check_only_per_second"]) if "check_only_per_second" in i else "—",
            ]
        )
    table.notes = [
        'The real importer, `patient_import(actor=None, system="bench", path=…, rejects=…)`, batches of 1,000, '
        "over a seeded CSV (bench/patients.py: demo.py's names plus a long tail of made-up surnames, unique valid "
        "phones, addresses, emails; no SSNs), into an empty patients table. Rows/s includes the file check pass. "
        "RSS = resident memory of the benchmark process (`/proc/self/statm`) as the import passes 10 %, 50 % and "
        "100 % of the rows: flat memory means these stay level; peak = `ru_maxrss` before and right after.",
        "Read and check only = the importer's reading and row checks over the same file in one process, nothing "
        "written (bench/patients.py `check_bench`): the most one process can feed the database. Where it is "
        "below the target, the design that would meet it and why it is not taken: bench/UNMET-TARGETS.md.",
    ]
    return table


def registration_table(results: dict[str, dict]) -> Table:
    table = Table(
        "6. Registration page server time (ms)",
        [
            "Database",
            "Patients present",
            "Registrations",
            "p50",
            "p95",
            f"Target p95 ≤ {REGISTRATION_TARGET_MS:g} ms",
            "Max",
            "Registered / duplicate warning shown",
        ],
    )
    for database, result in results.items():
        r = result["registration"]
        table.rows.append(
            [
                database,
                f"{result['patients']:,}",
                f"{r['n']:,}",
                f"{r['p50_ms']:.1f}",
                f"{r['p95_ms']:.1f}",
                _met(r["p95_ms"] <= REGISTRATION_TARGET_MS),
                f"{r['max_ms']:.1f}",
                f"{r['registered']:,} / {r['duplicate_warnings']:,}",
            ]
        )
    table.notes = [
        "Django's test `Client` in the benchmark process, signed in as a front-desk user with TOTP enrolled, "
        "POSTing the registration form to /patients/new/ (form validation, the duplicate check on name + date of "
        "birth, phone and SSN, `patient_register` with its audit event, the redirect); 10 warm-up posts first. "
        "Seeded people with unique phones: when the name and birthday match an existing patient the page answers "
        "with the duplicate warning (200) instead of registering (302); both are timed.",
    ]
    return table
