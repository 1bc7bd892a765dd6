#!/usr/bin/env python
"""Benchmark dispatch ranking: the best 10 volunteers for a help request among 100,000 synthetic Futian
volunteers.

The ranker (shiguang.aid.dispatch.rank: k-d tree nearest-first with a branch-and-bound stop) runs on the same
plain arrays that production loads from the database (shiguang.aid.dispatch.load_index), built here in memory.
Baselines in the same run, on the same queries:
  * naive: score every volunteer one by one in plain Python and sort (dispatch.rank_full_scan) — what you
    write
    without an index; run on a subset of the queries because it is slow;
  * numpy full scan: the vectorised scorer over all volunteers, then a sort (reported for honesty: it is the
    strongest index-free baseline).
Every query checks that the indexed top 10 equals the full scans' top 10 (ids and scores, in order).

Progress goes to stderr; the last stdout line is one JSON object:
    {"volunteers", "p95_ms", "naive_p95_ms", "speedup", "same_top10", ...}

    .venv/bin/python benchmarks/bench_dispatch.py [--volunteers 100000] [--queries 400] [--naive-queries 25]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from shiguang.aid import dispatch  # noqa: E402
from shiguang.aid.choices import CATEGORY_BITS, Category  # noqa: E402
from shiguang.core.clock import SHANGHAI  # noqa: E402
from shiguang.demo import futian  # noqa: E402

SLOTS = ("09:00-12:00", "14:00-17:00", "19:00-21:00")
# How often each kind of help is asked for (shape of the pilot's requests: company, errands, escorts).
CATEGORY_SHARES = [
    (Category.COMPANIONSHIP, 0.22),
    (Category.SHOPPING, 0.16),
    (Category.MEDICAL_ESCORT, 0.14),
    (Category.DIGITAL_HELP, 0.12),
    (Category.HOUSEWORK, 0.10),
    (Category.REPAIR, 0.07),
    (Category.MEAL, 0.07),
    (Category.OUTING, 0.06),
    (Category.LEGAL, 0.03),
    (Category.OTHER, 0.03),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _point(rng: random.Random) -> tuple[float, float]:
    """A point in Futian: around a street centre, weighted by the street's number of communities."""
    street = rng.choices(futian.STREETS, weights=[s.communities for s in futian.STREETS])[0]
    lat = min(futian.LAT_MAX, max(futian.LAT_MIN, rng.gauss(street.lat, 0.007)))
    lng = min(futian.LNG_MAX, max(futian.LNG_MIN, rng.gauss(street.lng, 0.008)))
    return lat, lng


def _availability(rng: random.Random) -> dict[str, list[str]]:
    if rng.random() < 0.2:
        return {}  # never filled in
    if rng.random() < 0.5:  # residents and graduates: weekdays
        days = rng.sample(dispatch.DAYS[:5], k=rng.randint(2, 4))
        return {d: sorted(rng.sample(SLOTS[:2], k=rng.randint(1, 2))) for d in days}
    result = {d: [rng.choice(SLOTS[:2])] for d in rng.sample(("sat", "sun"), k=rng.randint(1, 2))}
    for d in rng.sample(dispatch.DAYS[:5], k=rng.randint(0, 2)):
        result[d] = [SLOTS[2]]
    return result


def build_volunteers(n: int, rng: random.Random) -> tuple[list[dict[str, Any]], set[int]]:
    records = []
    certified: set[int] = set()
    skills = [c for c in Category.values if c != Category.OTHER]
    for i in range(n):
        vid = 10_000 + i
        lat, lng = _point(rng)
        mask = 0
        for s in rng.sample(skills, k=rng.randint(1, 3)):
            mask |= CATEGORY_BITS[s]
        languages = dispatch.LANGUAGE_BITS["mandarin"]
        if rng.random() < 0.35:
            languages |= dispatch.LANGUAGE_BITS["cantonese"]
        if rng.random() < 0.05:
            languages |= dispatch.LANGUAGE_BITS["hakka"]
        rated = rng.random() < 0.4
        records.append(
            {
                "id": vid,
                "user_id": 500_000 + i,
                "lat": lat,
                "lng": lng,
                "gender": 0 if rng.random() < 0.55 else 1,
                "skills": mask,
                "languages": languages,
                "avail": dispatch.parse_availability(_availability(rng)),
                "rating_mean": round(rng.uniform(3.2, 5.0), 2) if rated else 0.0,
                "rating_count": rng.randint(1, 40) if rated else 0,
            }
        )
        if rng.random() < 0.25:
            certified.add(vid)
    return records, certified


def build_queries(
    n: int, rng: random.Random, ids: np.ndarray, certified: np.ndarray
) -> list[dispatch.RankQuery]:
    loaded = np.sort(rng.sample(list(ids), k=len(ids) // 30)).astype(np.int64)
    counts = np.array([rng.choice([1, 1, 2, 3]) for _ in loaded], dtype=np.int64)
    queries = []
    for _ in range(n):
        lat, lng = _point(rng)
        category = rng.choices([c for c, _ in CATEGORY_SHARES], weights=[w for _, w in CATEGORY_SHARES])[0]
        day = 2 + rng.randint(0, 6)
        start = dt_local(day, rng.choice([9, 10, 14, 15, 19]), rng.choice([0, 30]))
        timed = rng.random() < 0.6
        need = (
            dispatch.slots_between(start, rng.choice([60, 90, 120, 180]))
            if timed
            else dispatch.slots_between(start, 60 * 24 * rng.choice([1, 2, 7]))
        )
        excluded = np.sort(rng.sample(list(ids), k=rng.randint(0, 4))).astype(np.int64)
        queries.append(
            dispatch.RankQuery(
                lat=lat,
                lng=lng,
                category_bit=CATEGORY_BITS[category] if category != Category.OTHER else 0,
                need=need,
                timed=timed,
                gender=rng.choice([0]) if rng.random() < 0.15 else -1,
                language_mask=dispatch.LANGUAGE_BITS["cantonese"] if rng.random() < 0.2 else 0,
                max_km=5.0,
                max_load=3,
                # Medical escorts require a certification (the district's rule in the demo).
                allowed_ids=certified if category == Category.MEDICAL_ESCORT else None,
                excluded_ids=excluded if len(excluded) else None,
                familiar_ids=np.sort(rng.sample(list(ids), k=2)).astype(np.int64)
                if rng.random() < 0.2
                else None,
                load_ids=loaded,
                load_counts=counts,
            )
        )
    return queries


def dt_local(day: int, hour: int, minute: int) -> Any:
    import datetime as dt

    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def numpy_full_scan(arrays: dispatch.VolunteerArrays, q: dispatch.RankQuery, top: int = 10) -> list[int]:
    qx, qy = dispatch.project(q.lat, q.lng)
    pos = np.arange(len(arrays), dtype=np.int64)
    total, dist, _parts, rejects = dispatch.score_batch(arrays, pos, q, qx, qy)
    bad = np.zeros(len(pos), dtype=bool)
    for mask in rejects.values():
        bad |= mask
    ok = np.nonzero(~bad)[0]
    order = np.lexsort((arrays.ids[ok], dist[ok], -total[ok]))[:top]
    return [int(v) for v in arrays.ids[ok[order]]]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--naive-queries", type=int, default=25)
    parser.add_argument("--seed", type=int, default=440304)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    log(f"building {args.volunteers:,} synthetic Futian volunteers ...")
    records, certified = build_volunteers(args.volunteers, rng)
    started = time.perf_counter()
    arrays = dispatch.VolunteerArrays.from_records(records).prepare()
    build_s = time.perf_counter() - started
    log(f"arrays + k-d trees (all volunteers, and one per skill) built in {build_s:.2f} s")
    plain = [arrays.record(i) for i in range(len(arrays))]
    queries = build_queries(args.queries, rng, arrays.ids, np.array(sorted(certified), dtype=np.int64))

    for q in queries[:20]:  # warm up
        dispatch.rank(arrays, q)
    indexed_ms: list[float] = []
    results: list[list[int]] = []
    examined: list[int] = []
    for q in queries:
        t0 = time.perf_counter()
        result = dispatch.rank(arrays, q, top=10)
        indexed_ms.append((time.perf_counter() - t0) * 1000)
        results.append([c.volunteer_id for c in result.candidates])
        examined.append(result.examined)
    log(
        f"indexed: p50 {p(indexed_ms, 0.5):.2f} ms, p95 {p(indexed_ms, 0.95):.2f} ms "
        f"(scored {statistics.median(examined):.0f} volunteers per query, median)"
    )

    numpy_ms: list[float] = []
    same = True
    for q, expected in zip(queries, results, strict=True):
        t0 = time.perf_counter()
        got = numpy_full_scan(arrays, q)
        numpy_ms.append((time.perf_counter() - t0) * 1000)
        same = same and got == expected
    log(f"numpy full scan: p95 {p(numpy_ms, 0.95):.2f} ms, same top 10: {same}")

    naive_ms: list[float] = []
    step = max(1, len(queries) // max(1, args.naive_queries))
    for n, i in enumerate(range(0, len(queries), step)[: args.naive_queries]):
        q = queries[i]
        t0 = time.perf_counter()
        slow = dispatch.rank_full_scan(arrays, q, top=10, records=plain)
        naive_ms.append((time.perf_counter() - t0) * 1000)
        fast = dispatch.rank(arrays, q, top=10)
        same = same and [c.volunteer_id for c in slow.candidates] == results[i]
        same = same and [c.score for c in slow.candidates] == [c.score for c in fast.candidates]
        log(f"naive scan {n + 1}/{args.naive_queries}: {naive_ms[-1]:.0f} ms")

    p95 = p(indexed_ms, 0.95)
    naive_p95 = p(naive_ms, 0.95)
    print(
        json.dumps(
            {
                "volunteers": len(arrays),
                "queries": len(queries),
                "p50_ms": round(p(indexed_ms, 0.5), 3),
                "p95_ms": round(p95, 3),
                "naive_p95_ms": round(naive_p95, 1),
                "naive_queries": len(naive_ms),
                "speedup": round(naive_p95 / p95, 1) if p95 else None,
                "numpy_full_scan_p95_ms": round(p(numpy_ms, 0.95), 2),
                "speedup_vs_numpy_scan": round(p(numpy_ms, 0.95) / p95, 1) if p95 else None,
                "median_scored": int(statistics.median(examined)),
                "index_build_s": round(build_s, 2),
                "same_top10": same,
            }
        )
    )


if __name__ == "__main__":
    main()
