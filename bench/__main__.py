"""python -m bench [--only NAME ...]: run the benchmarks against PostgreSQL and print one table."""
from __future__ import annotations

import argparse
import sys
import traceback

from bench.harness import Row, enable_profiling, print_table, recreate_database

BENCHMARKS = ("pipeline", "refresh", "monitor", "web")


def _pipeline(args) -> tuple[list[Row], dict[str, int]]:
    from bench import pipeline

    recreate_database()
    rows = pipeline.in_process(args.orders)
    recreate_database()
    http_rows, peak = pipeline.over_http(args.orders, args.clients)
    return rows + http_rows, {"web worker, order API": peak}


def _refresh(args) -> tuple[list[Row], dict[str, int]]:
    from bench import refresh

    recreate_database()
    rows, peak = refresh.run(naive=not args.skip_naive)
    return rows, {"scheduler, every job once": peak}


def _monitor(args) -> tuple[list[Row], dict[str, int]]:
    from bench import monitor

    recreate_database()
    return monitor.run(), {}


def _web(args) -> tuple[list[Row], dict[str, int]]:
    from bench import web

    recreate_database()
    rows, peak = web.run(args.duration)
    return rows, {"web worker, pages and API": peak}


RUNNERS = {"pipeline": _pipeline, "refresh": _refresh, "monitor": _monitor, "web": _web}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--orders", type=int, default=2000, help="orders per pipeline run (default 2000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients (default 8)")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow one-call-per-position refresh")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per web endpoint (default 20)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the in-process runs with pyinstrument into test-artifacts/bench/")
    args = parser.parse_args(argv)
    if args.profile:
        enable_profiling()

    rows: list[Row] = []
    memory: dict[str, int] = {}
    for name in BENCHMARKS:
        if name not in args.only:
            continue
        try:
            section, peaks = RUNNERS[name](args)
        except Exception as error:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            section, peaks = [Row(name, "failed", f"{type(error).__name__}: {error}"[:120], met=False)], {}
        print(print_table(section), flush=True)
        rows += section
        memory.update(peaks)
    for process, peak in memory.items():
        rows.append(Row("memory", f"peak RSS, {process}", f"{peak / 2**20:.0f} MB", "< 200 MB", 0 < peak < 200 * 2**20))
    print()
    print(print_table(rows))
    for row in rows:
        for note in row.notes:
            print(f"note: {row.benchmark}, {row.measure}: {note}")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
