#!/usr/bin/env python
"""Benchmark community life: "what is on near me this week" and sign-up throughput, each against a baseline.

Standalone: builds a scratch SQLite database in a temp directory (or, with --postgres URL, creates and drops
a database `bench_community` on that server), migrates it, and loads a synthetic district: FACILITIES open
stations scattered over Futian's bounding box with ACTIVITIES this week and ELDERS registered near them.

Measured:
  * near_p50_ms / near_p95_ms: `selectors.activities_for_elder` (SQL equirectangular distance + own
    community, ordered) for random elders; baseline: load every upcoming activity and filter with Python
    haversine (what a naive page would do).
  * signup_per_s: `services.activity_signup` one after another (row lock, queue position, audit event,
    reminder rows, waitlist past capacity); baseline: a bare `Signup.objects.create` per elder.

Progress goes to stderr; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/bench_community.py [--activities 3000] [--elders 400] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup(postgres: str | None) -> tuple[str, Any]:
    """Point Django at a scratch database and migrate it. Returns (description, cleanup)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    cleanup: Any = lambda: None  # noqa: E731
    if postgres:
        import psycopg

        base = postgres.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_community")
            conn.execute("CREATE DATABASE bench_community")
        os.environ["DATABASE_URL"] = f"{base}/bench_community"

        def cleanup() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS bench_community")

        where = "postgresql"
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_community_")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
        cleanup = tmp.cleanup
        where = "sqlite"
    os.environ.setdefault("NOTIFY_MAX_ATTEMPTS", "5")
    import django

    django.setup()
    from django.core.management import call_command

    log(f"migrating a scratch {where} database ...")
    call_command("migrate", verbosity=0)
    return where, cleanup


def build(rng: random.Random, n_facilities: int, n_activities: int, n_elders: int) -> dict[str, Any]:
    import datetime as dt

    from shiguang.accounts import services as account_services
    from shiguang.accounts.models import User
    from shiguang.community.models import Activity
    from shiguang.community.services.activities import search_text
    from shiguang.core import clock
    from shiguang.people import services as people_services
    from shiguang.places.models import Community, District, Facility, Street

    district = District.objects.create(name="福田区", code="440304")
    streets = [Street.objects.create(district=district, name=f"街道{i}") for i in range(10)]
    communities = []
    for i in range(92):
        lat, lng = 22.50 + rng.random() * 0.08, 114.00 + rng.random() * 0.10
        communities.append(
            Community.objects.create(
                street=streets[i % 10], name=f"社区{i}", latitude=lat, longitude=lng, elder_population=2000
            )
        )
    facilities = []
    for i in range(n_facilities):
        c = communities[i % len(communities)]
        facilities.append(
            Facility(
                street_id=c.street_id,
                community=c,
                name=f"服务站{i}",
                level="community_station",
                latitude=(c.latitude or 22.54) + rng.gauss(0, 0.003),
                longitude=(c.longitude or 114.05) + rng.gauss(0, 0.003),
            )
        )
    Facility.objects.bulk_create(facilities)
    admin = User.objects.create_superuser(username="bench", password="x" * 12, role="admin")
    now = clock.now()
    kinds = ["exercise", "culture", "learning", "health_talk", "film", "festival"]
    titles = ["太极", "粤剧", "手机课", "健康讲座", "电影", "书法", "广场舞", "唱歌"]
    rows = []
    for i in range(n_activities):
        start = now + dt.timedelta(minutes=rng.randint(60, 7 * 24 * 60))
        title = rng.choice(titles)
        rows.append(
            Activity(
                title=title,
                kind=rng.choice(kinds),
                tags=[title],
                search_text=search_text(title, "other", [title]),
                facility=facilities[i % len(facilities)],
                community_id=facilities[i % len(facilities)].community_id,
                start_at=start,
                end_at=start + dt.timedelta(hours=1),
                capacity=rng.randint(5, 40),
                checkin_code=f"b{i:08d}",
                created_by=admin,
            )
        )
    Activity.objects.bulk_create(rows, batch_size=1000)
    worker = account_services.user_create(
        actor=admin, role="community_worker", display_name="w", username="w", community=communities[0]
    )
    worker.role = "district_staff"
    worker.district = district
    worker.save()
    elders = []
    for i in range(n_elders):
        c = communities[i % len(communities)]
        elders.append(
            people_services.elder_register(
                actor=worker,
                community=c,
                name=f"长者{i}",
                gender="female",
                birth_date=dt.date(1945, 1, 1),
                living_arrangement="alone",
                hukou="registered",
                home_lat=(c.latitude or 22.54) + rng.gauss(0, 0.002),
                home_lng=(c.longitude or 114.05) + rng.gauss(0, 0.002),
            )
        )
        if (i + 1) % 100 == 0:
            log(f"  {i + 1} elders")
    return {"elders": elders, "now": now}


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def baseline_near(elder: Any, days: int = 7, radius: float = 3.0) -> list[Any]:
    import datetime as dt

    from shiguang.community.models import Activity
    from shiguang.core import clock

    now = clock.now()
    result = []
    for a in Activity.objects.filter(
        status="scheduled", end_at__gt=now, start_at__lte=now + dt.timedelta(days=days)
    ).select_related("facility"):
        d = haversine_km(elder.home_lat, elder.home_lng, a.facility.latitude, a.facility.longitude)
        if d <= radius or a.facility.community_id == elder.community_id:
            result.append((a.start_at, d, a.id, a))
    result.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in result]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--facilities", type=int, default=400)
    parser.add_argument("--activities", type=int, default=3000)
    parser.add_argument("--elders", type=int, default=400)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=440304)
    parser.add_argument(
        "--postgres", default="", help="a PostgreSQL URL whose server may host bench_community"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    where, cleanup = setup(args.postgres or None)
    try:
        from django.db import transaction

        from shiguang.community import selectors, services
        from shiguang.community.models import Activity, Signup

        log(f"building {args.facilities} facilities, {args.activities} activities, {args.elders} elders ...")
        data = build(rng, args.facilities, args.activities, args.elders)
        elders = data["elders"]

        log(f"timing {args.queries} 'near me this week' queries ...")
        fast, slow, agree = [], [], 0
        for _ in range(args.queries):
            elder = rng.choice(elders)
            t0 = time.perf_counter()
            ours = list(selectors.activities_for_elder(elder))
            t1 = time.perf_counter()
            theirs = baseline_near(elder)
            t2 = time.perf_counter()
            fast.append((t1 - t0) * 1000)
            slow.append((t2 - t1) * 1000)
            # Equirectangular distance and haversine agree within a district: any difference must sit on the
            # edge of the radius (within 1 %).
            edge = True
            for aid in {a.id for a in ours} ^ {a.id for a in theirs}:
                act = Activity.objects.select_related("facility").get(pk=aid)
                d = haversine_km(
                    elder.home_lat, elder.home_lng, act.facility.latitude, act.facility.longitude
                )
                edge = edge and abs(d - 3.0) <= 0.03
            agree += edge

        log("timing sign-ups (service vs bare insert) ...")
        target = Activity.objects.order_by("start_at").last()
        assert target is not None
        target.capacity = max(1, len(elders) // 4)
        target.save(update_fields=["capacity"])
        t0 = time.perf_counter()
        for elder in elders:
            services.activity_signup(actor=elder.user, activity_id=target.id, elder=elder)
        service_s = time.perf_counter() - t0
        statuses = list(Signup.objects.filter(activity=target).values_list("status", flat=True))
        other = Activity.objects.order_by("start_at").first()
        assert other is not None
        t0 = time.perf_counter()
        for i, elder in enumerate(elders):
            with transaction.atomic():
                Signup.objects.create(
                    activity=other,
                    elder=elder,
                    status="confirmed",
                    seq=i + 1,
                    channel="self",
                    signed_up_by=elder.user,
                )
        bare_s = time.perf_counter() - t0

        result = {
            "database": where,
            "activities": args.activities,
            "facilities": args.facilities,
            "elders": len(elders),
            "near_p50_ms": round(statistics.median(fast), 2),
            "near_p95_ms": round(percentile(fast, 0.95), 2),
            "baseline_near_p50_ms": round(statistics.median(slow), 2),
            "baseline_near_p95_ms": round(percentile(slow, 0.95), 2),
            "near_agrees_with_haversine_share": round(agree / args.queries, 3),
            "signup_per_s": round(len(elders) / service_s, 1),
            "baseline_insert_per_s": round(len(elders) / bare_s, 1),
            "signup_confirmed": statuses.count("confirmed"),
            "signup_waitlisted": statuses.count("waitlisted"),
        }
        log(
            f"near: {result['near_p50_ms']} ms (baseline {result['baseline_near_p50_ms']} ms); "
            f"sign-ups {result['signup_per_s']}/s (bare insert {result['baseline_insert_per_s']}/s)"
        )
    finally:
        cleanup()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
