"""Benchmark: ``sla.calendar`` due dates vs the ``holidays`` package's own working-day walk.

Run from the repository root (no Django settings needed; only ``sla.calendar`` is imported)::

    .venv/bin/python bench/calendar.py [--n 100000] [--repeat 3] [--seed 20250425]

What it checks (domain §2.2 / §2.3 step 2, architecture: "a precomputed cumulative working-time index"):

1. Building the index for 2015–2040 takes < 1 s (asserted; the timed check lives here, not in the test suite).
2. For N random (start date in 2016–2038, n in 1..60 working days) on the real Vietnamese calendar, our
   ``cal.add_working_time(<start date> 07:00, n, WORKING_DAYS).date()`` equals ``holidays``'
   ``hol.get_nth_working_day(<start date> - 1 day, n)`` — every result, same inputs, same run.
3. Per-call time of both (best of --repeat runs, GC off, as timeit does) and the ratio (target ≥ 50×).
   Whole working days from an opening take ``add_working_time``'s shortest path (the due is a precomputed
   close); an extra, information-only line times the general path (arbitrary instants, fractional hours).

Mapping of the two semantics (why ``start - 1 day``): starting at the 07:00 opening of day ``d`` and adding
``n`` full working days (n × 8 h) ends at 17:00 of the n-th working day counting ``d`` itself as the first
when it is a working day (AFTER_CLOSE moves a non-working ``d`` to the next working day's opening, so the
first working day on or after ``d`` is day 1). ``get_nth_working_day(k, n)`` steps ``n`` times "one day
forward, then skip non-working days", so from ``d - 1`` its first step lands on the first working day on or
after ``d`` and its n-th step on the n-th one: the same day. (``get_nth_working_day(d, n - 1)`` would only
agree when ``d`` is a working day.) Both sides count make-up Saturdays as working: ``holidays``'
``is_working_day`` is ``dt in weekend_workdays if weekend else dt not in holidays``; ``vietnam_calendar``
feeds the same ``weekend_workdays`` and holidays into the index.

Exit status: 0 if all results are equal and the build is under 1 s, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/calendar.py` puts bench/ first on sys.path, where this file would shadow the stdlib `calendar`
# module for everything imported after it: drop that entry before any other import, add the repo root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402

import holidays  # noqa: E402

from sla.calendar import VN_TZ, Cutoff, Unit, WorkingCalendar, vietnam_calendar  # noqa: E402

FIRST_YEAR, LAST_YEAR = 2015, 2040


def _inputs(n: int, seed: int) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    lo = date(2016, 1, 1).toordinal()
    hi = date(2038, 12, 31).toordinal()
    return [(date.fromordinal(rng.randint(lo, hi)), rng.randint(1, 60)) for _ in range(n)]


def _best_of(fn: Callable[[], list[date]], repeat: int) -> tuple[list[date], float, float]:
    """(result, best time, first-run time)."""
    best = math.inf
    first = math.nan
    result: list[date] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - t0
            best = min(best, elapsed)
            if math.isnan(first):
                first = elapsed
    finally:
        if gc_was_enabled:
            gc.enable()
    return result, best, first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=100_000, help="number of random computations (default 100000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per side, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=20250425, help="RNG seed")
    args = parser.parse_args(argv)

    # 1. Index build time. The holidays data are fetched once (the `holidays` package's own cost, reported
    #    separately); the index build is the WorkingCalendar constructor over 2015–2040.
    t0 = time.perf_counter()
    cal = vietnam_calendar(first_year=FIRST_YEAR, last_year=LAST_YEAR)
    factory_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    WorkingCalendar(
        holidays=cal._holidays,
        makeup_workdays=cal._makeup,
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vietnam_calendar(first_year=FIRST_YEAR, last_year=LAST_YEAR)
    factory_warm_s = time.perf_counter() - t0

    hol = holidays.country_holidays("VN", years=range(FIRST_YEAR, LAST_YEAR + 1))
    # Same working-day definition on both sides (see module docstring).
    assert {d for d in hol.weekend_workdays if FIRST_YEAR <= d.year <= LAST_YEAR} == set(cal._makeup)

    inputs = _inputs(args.n, args.seed)
    starts = [(datetime(d.year, d.month, d.day, 7, 0, tzinfo=VN_TZ), n) for d, n in inputs]
    prevs = [(d - timedelta(days=1), n) for d, n in inputs]

    # 2./3. Same inputs, same run; the input conversion is done before the clocks start. Like `timeit`, each
    #    side runs with the cyclic GC off and the best of --repeat runs is kept (it filters out noise from
    #    other processes; both sides are treated the same).
    add = cal.add_working_time
    wd, cut = Unit.WORKING_DAYS, Cutoff.AFTER_CLOSE
    nth = hol.get_nth_working_day

    def run_ours() -> list[date]:
        return [add(s, n, wd, cutoff=cut).date() for s, n in starts]

    def run_theirs() -> list[date]:
        return [nth(p, n) for p, n in prevs]

    ours, ours_s, ours_first_s = _best_of(run_ours, args.repeat)
    theirs, theirs_s, theirs_first_s = _best_of(run_theirs, args.repeat)

    mismatches = [(inputs[i], ours[i], theirs[i]) for i in range(len(inputs)) if ours[i] != theirs[i]]

    # For information only (holidays has no equivalent): the general path — arbitrary receipt instants
    # (random clock time with seconds) and fractional working hours, which cannot hit the cached closes.
    rng = random.Random(args.seed + 1)
    general = [
        (
            s + timedelta(seconds=rng.randint(0, 86399), microseconds=rng.randint(0, 999_999)),
            rng.randint(1, 1920) / 4,
        )
        for s, _ in starts
    ]
    wh = Unit.WORKING_HOURS

    def run_general() -> list[date]:
        return [add(s, h, wh, cutoff=cut).date() for s, h in general]

    _, general_s, _ = _best_of(run_general, args.repeat)

    n = len(inputs)
    ours_us = ours_s / n * 1e6
    theirs_us = theirs_s / n * 1e6
    print(
        f"vietnam_calendar() 2015–2040 (incl. holidays data): {factory_s * 1e3:.1f} ms cold, "
        f"{factory_warm_s * 1e3:.1f} ms warm"
    )
    print(f"index build 2015–2040 (WorkingCalendar): {build_s * 1e3:.1f} ms")
    print(f"computations: {n}")
    print(
        f"ours     add_working_time(..., WORKING_DAYS): {ours_us:.2f} µs/call "
        f"(first run: {ours_first_s / n * 1e6:.2f})"
    )
    print(
        f"holidays get_nth_working_day:               {theirs_us:.2f} µs/call "
        f"(first run: {theirs_first_s / n * 1e6:.2f})"
    )
    print(
        f"ratio holidays/ours: {theirs_s / ours_s:.1f}× (best runs), "
        f"{theirs_first_s / ours_first_s:.1f}× (first runs)"
    )
    print(f"results equal: {n - len(mismatches)}/{n}")
    print(
        f"info: ours, arbitrary start instants + fractional WORKING_HOURS (uncached path): "
        f"{general_s / n * 1e6:.2f} µs/call"
    )

    status = 0
    if mismatches:
        for (d, k), a, b in mismatches[:10]:
            print(f"  MISMATCH start={d} n={k}: ours={a} holidays={b}", file=sys.stderr)
        status = 1
    if build_s >= 1.0 or factory_s >= 1.0:
        print("FAIL: building the 2015–2040 calendar took ≥ 1 s", file=sys.stderr)
        status = 1
    if theirs_s / ours_s < 50:
        print("note: below the 50× target", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
