"""Result tables of the scheduling benchmarks (bench/scheduling_run.py)."""

from __future__ import annotations

from .report import Table, _met

SLOT_TARGET_MS, SLOT_RATIO_TARGET = 50.0, 1.3
PAGE_TARGET_MS, BOARD_TARGET_MS = 150.0, 50.0
HTTP_RATIO_TARGET = 0.10


def _runs(result: dict) -> tuple[dict, dict]:
    runs = sorted(result["runs"].values(), key=lambda r: r["history"])
    return runs[0], runs[-1]


def slot_table(results: dict[str, dict]) -> Table:
    table = Table(
        "7. Slot search: next 10 slots, 50 providers, 90 days (ms)",
        ["Database", "History (appointments)", "Searches", "p50", "p95", f"Target p95 ≤ {SLOT_TARGET_MS:g} ms",
         "p95 ratio to 10,000 history", f"Target ratio ≤ {SLOT_RATIO_TARGET}", "Mean slots found"],
    )  # fmt: skip
    for database, result in results.items():
        small, big = _runs(result)
        base = small["slot_search"]["p95_ms"]
        for run in (small, big):
            s = run["slot_search"]
            ratio = s["p95_ms"] / base
            table.rows.append([
                database, f"{run['history']:,}", f"{s['n']:,}", f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}",
                _met(s["p95_ms"] <= SLOT_TARGET_MS), f"{ratio:.2f}",
                _met(ratio <= SLOT_RATIO_TARGET) if run is big else "—", f"{s['mean_slots']:.1f}",
            ])  # fmt: skip
    table.notes = [
        "`slot_search(appointment_type=…, start_date=…, end_date=start+89 days, patient=…, limit=10)` in the "
        "benchmark process for a random patient and a start day within the next 30 days, 10 warm-up searches first. "
        "The practice (bench/scheduling_data.py): 50 providers at 5 locations working Monday–Friday 08:00–17:00, "
        "the next 90 days booked to 70 %, and past appointments as the history. The baseline of the ratio is the "
        "same search over 10,000 appointments of history, in the same run.",
    ]
    return table


def page_table(results: dict[str, dict]) -> Table:
    table = Table(
        "8. Calendar pages and flow board: server time (ms) and queries",
        ["Database", "Page", "History (appointments)", "p50", "p95", "Target p95", "Queries per request"],
    )
    for database, result in results.items():
        for run in _runs(result):
            for name, page in run["pages"].items():
                target = BOARD_TARGET_MS if name.startswith("flow") else PAGE_TARGET_MS
                table.rows.append([
                    database, name, f"{run['history']:,}", f"{page['p50_ms']:.1f}", f"{page['p95_ms']:.1f}",
                    f"≤ {target:g}: {_met(page['p95_ms'] <= target)}", ", ".join(map(str, page["queries"])),
                ])  # fmt: skip
    table.notes = [
        "Django's test `Client` in the benchmark process, signed in as a front-desk user: the day view of the "
        "location with 20 providers, the week view of one provider, and the flow board fragment (the htmx "
        "refresh) of that location with 300 appointments today in every flow state. Queries are counted per "
        "request; the same numbers at both history sizes mean the page does not query more as data grows.",
    ]
    return table


def http_table(results: dict[str, dict]) -> Table:
    table = Table(
        "9. Booking over HTTP, 16 concurrent clients (PostgreSQL)",
        ["Database", "Attempts", "Booked", "Refused (409)", "Bookings/s", "p50 ms", "p95 ms", "Double bookings",
         "Raw INSERT rows/s (baseline)", "Ratio", f"Target ratio ≥ {HTTP_RATIO_TARGET:.0%}",
         "CPU ms an attempt: server / clients / rest"],
    )  # fmt: skip
    for database, result in results.items():
        h = result.get("http_booking")
        if not h:
            continue
        ratio = h["bookings_per_second"] / h["raw_inserts_per_second"]
        table.rows.append([
            database, f"{h['attempts']:,}", f"{h['booked']:,}", f"{h['refused']:,}", f"{h['bookings_per_second']:.0f}",
            f"{h['p50_ms']:.0f}", f"{h['p95_ms']:.0f}", str(h["double_bookings"]),
            f"{h['raw_inserts_per_second']:.0f}", f"{ratio:.1%}", _met(ratio >= HTTP_RATIO_TARGET),
            " / ".join(f"{h['cpu_ms_per_attempt'][k]:.1f}" for k in ("server", "clients", "rest"))
            if "cpu_ms_per_attempt" in h else "—",
        ])  # fmt: skip
    table.notes = [
        "A real gunicorn server (4 sync workers, the fastest of 2×4, 3×2, 4×4, 4, 6 and 8 tried on this 2-core "
        "machine) on loopback and 16 client threads, each on one kept-alive connection, POSTing "
        "/api/v1/scheduling/appointments with a personal API token; 80 % of attempts aim at distinct free slots, "
        "20 % at a slot another attempt also wants, so exactly one of each such pair may win. 96 warm-up bookings a "
        "month earlier go first and are left out. Double bookings are counted afterwards in SQL. Baseline: "
        "single-row INSERT + commit of the same kind of rows on one connection in the same run. CPU an attempt: "
        "the server's processes, the client threads, and the rest of the machine (PostgreSQL, mostly), while the "
        "clients ran.",
    ]
    return table
