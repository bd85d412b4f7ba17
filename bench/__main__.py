"""`make bench`: run every benchmark on SQLite and PostgreSQL and write bench/RESULTS.md.

    python -m bench            full run (1,000,000-event chain), writes bench/RESULTS.md
    python -m bench --quick    smaller run (100,000 events), writes bench/data/RESULTS-quick.md
    python -m bench --only patients [--patients N]   only the patient benchmarks
    python -m bench --only scheduling [--database sqlite|postgresql]   only the scheduling benchmarks
    python -m bench --only codes [--database sqlite|postgresql]   only the ICD-10-CM search benchmark
    python -m bench --only clinical [--database sqlite|postgresql]   only the clinical chart benchmark
    python -m bench --only home [--database sqlite|postgresql]   only the home page benchmark (demo practice)

The patient benchmarks (1,000,000 patients; 50,000 with --quick) write their own file,
bench/RESULTS-patients.md (bench/data/RESULTS-patients-quick.md with --quick), linked from
RESULTS.md, so running one part never deletes the other's figures.

Each database's part runs in its own process (`bench/run.py`) against a throwaway database:
a SQLite file under bench/data/ and the PostgreSQL database `cd_bench` on 127.0.0.1:5432,
both created here and removed afterwards. PostgreSQL being unreachable is an error, never a
reason to skip it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from rich.console import Console

from . import clinical_run, codes_run, home_run, report, report_scheduling

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
PG_SERVER = os.environ.get("CLINICDESK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
# Several people benchmarking on one server each name their own throwaway database.
PG_DATABASE = os.environ.get("CLINICDESK_BENCH_PG_DATABASE", "cd_bench")

SIZES = {
    "full": {"events": 1_000_000, "append_seconds": 5.0, "reads": 2_000, "verify_rounds": 2},
    "quick": {"events": 100_000, "append_seconds": 2.0, "reads": 500, "verify_rounds": 1},
}

PATIENT_SIZES = {
    "full": {"patients": 1_000_000, "searches": 300, "registrations": 200},
    "quick": {"patients": 50_000, "searches": 200, "registrations": 200},
}
SCHEDULING_SIZES = {"full": {"history": 2_750_000}, "quick": {"history": 100_000}}
CODES_SIZES = {"full": {"searches": 200}, "quick": {"searches": 200}}  # the whole code set either way
CLINICAL_LINK = "Clinical benchmarks (the chart page of a patient with 700 encounters): see [RESULTS-clinical.md](RESULTS-clinical.md)."
CODES_LINK = "ICD-10-CM benchmarks (search as you type, loading the codes): see [RESULTS-codes.md](RESULTS-codes.md)."
SCHEDULING_LINK = "Scheduling benchmarks (slot search, calendar pages, flow board, booking over HTTP): see [RESULTS-scheduling.md](RESULTS-scheduling.md)."
HOME_LINK = "Home page benchmarks (each role's page with the demo practice): see [RESULTS-home.md](RESULTS-home.md)."
PATIENTS_LINK = "Patient benchmarks (search, import, registration): see [RESULTS-patients.md](RESULTS-patients.md)."

console = Console()


def _pg_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        console.print(f"[bold red]PostgreSQL is unreachable at {PG_SERVER}: {exc}".rstrip())
        console.print("[bold red]The benchmarks need it; nothing was measured. Start PostgreSQL and run again.")
        sys.exit(2)


def _pg_recreate(admin: psycopg.Connection) -> None:
    admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {PG_DATABASE}")


def _sqlite_files(name: str = "bench") -> list[Path]:
    return [DATA_DIR / f"{name}.sqlite3{suffix}" for suffix in ("", "-wal", "-shm")]


def _run_database(database: str, size: dict, out: Path) -> dict:
    url = f"{PG_SERVER}/{PG_DATABASE}" if database == "postgresql" else f"sqlite:///{_sqlite_files()[0]}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CLINICDESK_VAR_DIR": str(DATA_DIR),
        "DJANGO_SETTINGS_MODULE": "clinicdesk.settings",
    }
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--events",
        str(size["events"]),
        "--verify-rounds",
        str(size["verify_rounds"]),
        "--append-seconds",
        str(size["append_seconds"]),
        "--reads",
        str(size["reads"]),
        "--out",
        str(out),
    ]
    finished = subprocess.run(command, env=env, cwd=BENCH_DIR.parent, check=False)
    if finished.returncode != 0:
        console.print(f"[bold red]The {database} benchmarks failed (exit {finished.returncode}); no results written.")
        sys.exit(1)
    return json.loads(out.read_text())


def _run_patients(database: str, size: dict, csv: Path, out: Path) -> dict:
    url = (
        f"{PG_SERVER}/{PG_DATABASE}" if database == "postgresql" else f"sqlite:///{_sqlite_files('bench-patients')[0]}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CLINICDESK_VAR_DIR": str(DATA_DIR),
        "DJANGO_SETTINGS_MODULE": "clinicdesk.settings",
    }
    command = [
        sys.executable, "-m", "bench.patients_run", "--patients", str(size["patients"]),
        "--searches", str(size["searches"]), "--registrations", str(size["registrations"]),
        "--csv", str(csv), "--out", str(out),
    ]  # fmt: skip
    finished = subprocess.run(command, env=env, cwd=BENCH_DIR.parent, check=False)
    if finished.returncode != 0:
        console.print(f"[bold red]The {database} patient benchmarks failed (exit {finished.returncode}).")
        sys.exit(1)
    return json.loads(out.read_text())


def _run_part(part: str, database: str, extra: list[str]) -> dict:
    """One database's run of `bench.<part>_run` in its own process; its JSON figures."""
    out = DATA_DIR / f"{database}-{part}.json"
    url = f"{PG_SERVER}/{PG_DATABASE}" if database == "postgresql" else f"sqlite:///{_sqlite_files(f'bench-{part}')[0]}"
    env = {**os.environ, "DATABASE_URL": url, "CLINICDESK_VAR_DIR": str(DATA_DIR),
           "DJANGO_SETTINGS_MODULE": "clinicdesk.settings"}  # fmt: skip
    command = [sys.executable, "-m", f"bench.{part}_run", *extra, "--out", str(out)]
    finished = subprocess.run(command, env=env, cwd=BENCH_DIR.parent, check=False)
    if finished.returncode != 0:
        console.print(f"[bold red]The {database} {part} benchmarks failed (exit {finished.returncode}).")
        sys.exit(1)
    return json.loads(out.read_text())


def _write(output: Path, title: str, facts: list[tuple[str, str]], tables: list, extra: list[str] = ()) -> None:
    lines = [
        f"# {title}",
        "",
        "Written by `make bench` (`bench/__main__.py`); see bench/README.md for what "
        "each figure means. Do not edit by hand.",
        "",
    ]
    lines += [f"- **{name}:** {value}" for name, value in facts]
    lines += ["", *extra] if extra else []
    output.write_text("\n".join(lines) + "\n\n" + "\n".join(t.markdown() for t in tables))
    console.print(f"\nWrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller datasets, for trying changes out")
    parser.add_argument("--output", type=Path, help="where to write the Markdown results")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    parser.add_argument(
        "--only",
        choices=("audit", "patients", "scheduling", "codes", "clinical", "home"),
        help="run one part (default: all)",
    )
    parser.add_argument("--patients", type=int, help="patients for the patient benchmarks (default 1,000,000)")
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql"), help="patient benchmarks on one database only (a partial run)"
    )
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    size = SIZES[mode]
    patient_size = dict(PATIENT_SIZES[mode], **({"patients": args.patients} if args.patients else {}))
    parts = [args.only] if args.only else ["audit", "patients", "scheduling", "codes", "clinical", "home"]
    output = args.output or (DATA_DIR / "RESULTS-quick.md" if args.quick else BENCH_DIR / "RESULTS.md")
    patients_output = (
        output.with_name(output.stem + "-patients.md")
        if args.output
        else (DATA_DIR / "RESULTS-patients-quick.md" if args.quick else BENCH_DIR / "RESULTS-patients.md")
    )
    csv = DATA_DIR / f"patients-{patient_size['patients']}.csv"

    admin = _pg_admin()
    postgres_version = admin.execute("SHOW server_version").fetchone()[0]
    DATA_DIR.mkdir(exist_ok=True)
    # Other work on the machine skews every figure; the load average at least shows it.
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    results: dict[str, dict] = {}
    patient_results: dict[str, dict] = {}
    scheduling_results: dict[str, dict] = {}
    codes_results: dict[str, dict] = {}
    clinical_results: dict[str, dict] = {}
    home_results: dict[str, dict] = {}
    timings: dict[str, float] = {}
    try:
        if "audit" in parts:
            for path in _sqlite_files():
                path.unlink(missing_ok=True)
            results["SQLite"] = _run_database("sqlite", size, DATA_DIR / "sqlite.json")
            _pg_recreate(admin)
            results["PostgreSQL"] = _run_database("postgresql", size, DATA_DIR / "postgresql.json")
            timings["audit"] = time.perf_counter() - started
        if "patients" in parts:
            part_started = time.perf_counter()
            for path in (*_sqlite_files("bench-patients"), csv):
                path.unlink(missing_ok=True)
            if args.database in (None, "sqlite"):
                patient_results["SQLite"] = _run_patients(
                    "sqlite", patient_size, csv, DATA_DIR / "sqlite-patients.json"
                )
            if args.database in (None, "postgresql"):
                _pg_recreate(admin)
                patient_results["PostgreSQL"] = _run_patients(
                    "postgresql", patient_size, csv, DATA_DIR / "postgresql-patients.json"
                )
            timings["patients"] = time.perf_counter() - part_started
        for part, part_results, extra in (
            ("scheduling", scheduling_results, ["--history", str(SCHEDULING_SIZES[mode]["history"])]),
            ("codes", codes_results, ["--searches", str(CODES_SIZES[mode]["searches"])]),
            ("clinical", clinical_results, []),
            ("home", home_results, []),
        ):
            if part not in parts:
                continue
            part_started = time.perf_counter()
            for name, database in (("SQLite", "sqlite"), ("PostgreSQL", "postgresql")):
                if args.database in (None, database):
                    if database == "postgresql":
                        _pg_recreate(admin)
                    else:
                        for path in _sqlite_files(f"bench-{part}"):
                            path.unlink(missing_ok=True)
                    part_results[name] = _run_part(part, database, extra)
            timings[part] = time.perf_counter() - part_started
    finally:
        if not args.keep:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            for path in (*_sqlite_files(), *_sqlite_files("bench-patients"), *_sqlite_files("bench-scheduling"),
                         *_sqlite_files("bench-codes"), *_sqlite_files("bench-clinical"),
                         *_sqlite_files("bench-home"), csv,
                         csv.with_suffix(".rejects.csv")):  # fmt: skip
                path.unlink(missing_ok=True)
        admin.close()
    elapsed = time.perf_counter() - started
    load = ("Load average (1 min) at start / end", f"{load_at_start:.2f} / {os.getloadavg()[0]:.2f}")
    command = f"python -m bench{' --quick' if args.quick else ''}"

    if patient_results:
        n = patient_size["patients"]
        tables = [
            report.search_table(patient_results),
            report.import_table(patient_results),
            report.registration_table(patient_results),
        ]
        facts = [
            *report.machine(postgres_version),
            load,
            (
                "Run",
                f"{mode if not args.patients else 'custom size'} (`{command}{' --only patients' if args.only else ''}"
                f"{f' --patients {n}' if args.patients else ''}{f' --database {args.database}' if args.database else ''}`), "
                f"{n:,} patients, "
                f"{timings['patients'] / 60:.1f} min",
            ),
        ]
        for table in tables:
            console.print()
            console.print(table.rich())
        _write(patients_output, "Patient benchmark results", facts, tables)
        link = PATIENTS_LINK.replace("(RESULTS-patients.md)", f"({patients_output.name})").replace(
            "[RESULTS-patients.md]", f"[{patients_output.name}]"
        )
        if "audit" not in parts and output.exists() and link not in output.read_text():
            output.write_text(output.read_text().rstrip("\n") + "\n\n" + link + "\n")
    if scheduling_results:
        scheduling_output = (
            DATA_DIR / "RESULTS-scheduling-quick.md" if args.quick else BENCH_DIR / "RESULTS-scheduling.md"
        )
        tables = [
            report_scheduling.slot_table(scheduling_results),
            report_scheduling.page_table(scheduling_results),
            report_scheduling.http_table(scheduling_results),
        ]
        facts = [
            *report.machine(postgres_version),
            load,
            ("Run", f"{mode} (`{command} --only scheduling`), {SCHEDULING_SIZES[mode]['history']:,} appointments of "
                    f"history, {timings['scheduling'] / 60:.1f} min"),
        ]  # fmt: skip
        for table in tables:
            console.print()
            console.print(table.rich())
        _write(scheduling_output, "Scheduling benchmark results", facts, tables)
        link = SCHEDULING_LINK.replace("RESULTS-scheduling.md", scheduling_output.name)
        if "audit" not in parts and output.exists() and link not in output.read_text():
            output.write_text(output.read_text().rstrip("\n") + "\n\n" + link + "\n")
    for part, part_results, table_of, title, part_link in (
        ("codes", codes_results, codes_run.codes_table, "ICD-10-CM benchmark results", CODES_LINK),
        ("clinical", clinical_results, clinical_run.chart_table, "Clinical benchmark results", CLINICAL_LINK),
        ("home", home_results, home_run.home_table, "Home page benchmark results", HOME_LINK),
    ):
        if not part_results:
            continue
        name = f"RESULTS-{part}.md"
        part_output = DATA_DIR / f"RESULTS-{part}-quick.md" if args.quick else BENCH_DIR / name
        table = table_of(part_results)
        only = f"--only {part}{f' --database {args.database}' if args.database else ''}"
        facts = [
            *report.machine(postgres_version),
            load,
            ("Run", f"{mode} (`{command} {only}`), {timings[part] / 60:.1f} min"),
        ]
        console.print()
        console.print(table.rich())
        _write(part_output, title, facts, [table])
        link = part_link.replace(name, part_output.name)
        if "audit" not in parts and output.exists() and link not in output.read_text():
            output.write_text(output.read_text().rstrip("\n") + "\n\n" + link + "\n")
    if not results:
        return

    tables = [
        report.append_table(results, size["append_seconds"]),
        report.verify_table(results),
        report.read_table(results),
    ]
    facts = [
        *report.machine(postgres_version),
        load,
        ("Run", f"{mode} (`{command}{' --only audit' if args.only else ''}`), {elapsed / 60:.1f} min"),
    ]
    console.print()
    for name, value in facts:
        console.print(f"[bold]{name}:[/] {value}")
    for table in tables:
        console.print()
        console.print(table.rich())
    link = PATIENTS_LINK.replace("(RESULTS-patients.md)", f"({patients_output.name})")
    link = link.replace("[RESULTS-patients.md]", f"[{patients_output.name}]")
    links = [link] if patient_results or patients_output.exists() else []
    if (BENCH_DIR / "RESULTS-scheduling.md").exists() and not args.quick:
        links.append(SCHEDULING_LINK)
    if (BENCH_DIR / "RESULTS-codes.md").exists() and not args.quick:
        links.append(CODES_LINK)
    if (BENCH_DIR / "RESULTS-clinical.md").exists() and not args.quick:
        links.append(CLINICAL_LINK)
    if (BENCH_DIR / "RESULTS-home.md").exists() and not args.quick:
        links.append(HOME_LINK)
    _write(output, "Benchmark results", facts, tables, links)


if __name__ == "__main__":
    main()
