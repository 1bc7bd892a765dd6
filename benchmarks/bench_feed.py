#!/usr/bin/env python
"""Benchmark the mutual-aid square's feed endpoint (GET /api/v1/aid/feed) under load, against a bare Django
JSON
view served by the same server.

What it does (all on 127.0.0.1, nothing leaves the machine):
  1. creates a scratch PostgreSQL database (`bench_feed`, dropped at the end), migrates it, and loads a
     synthetic
     Futian: the 10 streets and 92 communities, 400 elders, 300 volunteers, 600 takeable help requests
     (written
     in bulk), a few blocks, and signed-in sessions for 120 verified volunteers;
  2. starts gunicorn with uvicorn workers (the production setup; 2 workers) on a free port, with the full
     middleware stack (sessions, auth, CSRF, CSP, axes, OTP, messages, htmx...) and a URLconf that adds one
     bare JSON view (benchmarks/bench_feed_urls.py; config/urls.py is not touched);
  3. runs closed-loop client processes (keep-alive HTTP/1.1, one connection each), alternating phases
     bare → feed → bare → feed, each bounded in time and request count. Feed requests cycle through realistic
     filters (nearest, a category, urgent first, within 3 km, page 2). Both endpoints are signed in as one of
     the volunteers, so both load the session and the user.

Progress on stderr; the last stdout line is one JSON object:
    {"feed_rps", "bare_rps", "ratio", "feed_p99_ms", ...}

    .venv/bin/python benchmarks/bench_feed.py [--seconds 8] [--clients 2] [--workers 2] [--keep-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "bench_feed"
FEED_PATHS = (
    "/api/v1/aid/feed",
    "/api/v1/aid/feed?category=shopping",
    "/api/v1/aid/feed?sort=urgent",
    "/api/v1/aid/feed?within_km=3",
    "/api/v1/aid/feed?offset=20",
)
BARE_PATHS = ("/bench/bare",)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def db_url(name: str) -> str:
    base, _, _db = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(statement)


# --- data ---------------------------------------------------------------------------------------------------


def seed(rng: random.Random) -> list[str]:
    """Load the synthetic district and return session keys of signed-in volunteers."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction

    from shiguang.aid.choices import Category, RequestStatus, Urgency
    from shiguang.aid.models import Block, HelpRequest
    from shiguang.core import clock
    from shiguang.demo import builders
    from shiguang.people.models import ElderProfile, VolunteerProfile

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    log(f"migrated in {time.perf_counter() - started:.0f} s")
    with transaction.atomic():
        ids = builders.Identities(rng)
        places = builders.build_places(rng)
        personas = builders.build_personas(rng, places, ids)
        builders.build_elders(rng, places, ids, 400)
        builders.build_volunteers(rng, places, ids, 300, personas.admin)
        elders = list(ElderProfile.objects.select_related("community"))
        now = clock.now()
        rows = []
        for i in range(600):
            elder = rng.choice(elders)
            lat = elder.home_lat or elder.community.latitude
            lng = elder.home_lng or elder.community.longitude
            timed = rng.random() < 0.5
            start = now + dt.timedelta(hours=rng.randint(2, 120)) if timed else None
            rows.append(
                HelpRequest(
                    elder=elder,
                    community=elder.community,
                    posted_by=elder.user,
                    category=rng.choice(Category.values),
                    description=rng.choice(
                        ["帮忙买菜", "陪我去医院复查", "教我用手机视频", "修一下水龙头", "聊聊天"]
                    ),
                    urgency=rng.choice(Urgency.values),
                    start_at=start,
                    duration_minutes=rng.choice([30, 60, 90, 120, 180]),
                    lat=lat,
                    lng=lng,
                    location_source="home",
                    required_gender=rng.choice(["", "", "", "", "female"]),
                    status=RequestStatus.OPEN if i % 3 else RequestStatus.OFFERED,
                    status_changed_at=now,
                    expires_at=(start or now) + dt.timedelta(days=2),
                    created_at=now - dt.timedelta(minutes=i),
                )
            )
        HelpRequest.objects.bulk_create(rows, batch_size=500)
        volunteers = list(
            VolunteerProfile.objects.filter(verification_status="verified", base_lat__isnull=False)
            .select_related("user")
            .order_by("id")[:120]
        )
        for v in volunteers[:30]:  # a few volunteers blocked by (or blocking) an elder
            Block.objects.create(blocker=v.user, blocked=rng.choice(elders).user, recorded_by=v.user)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would have after a bulk load
        cursor.execute("ANALYZE")
    keys = []
    for v in volunteers:
        session = SessionStore()
        session[SESSION_KEY] = str(v.user.pk)
        session[BACKEND_SESSION_KEY] = "shiguang.accounts.backends.PhoneOrUsernameBackend"
        session[HASH_SESSION_KEY] = v.user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    log(
        f"seeded {len(rows)} requests, {len(volunteers)} signed-in volunteers "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return keys


# --- load ---------------------------------------------------------------------------------------------------


def client(
    port: int,
    paths: list[str],
    cookies: list[str],
    seconds: float,
    max_requests: int,
    offset: int,
    queue: Any,
) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    n = 0
    started = time.perf_counter()
    deadline = started + seconds
    while n < max_requests and time.perf_counter() < deadline:
        path = paths[(offset + n) % len(paths)]
        cookie = cookies[(offset * 7 + n) % len(cookies)]
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        latencies.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
        if status != 200:
            errors += 1
        n += 1
    queue.put((n, errors, time.perf_counter() - started, latencies, statuses))
    conn.close()


def phase(
    port: int, paths: tuple[str, ...], cookies: list[str], clients: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=client, args=(port, list(paths), cookies, seconds, max_requests // clients, i, queue)
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(10)
    count = sum(r[0] for r in results)
    elapsed = max(r[2] for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        for status, n in r[4].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "requests": count,
        "errors": sum(r[1] for r in results),
        "seconds": elapsed,
        "latencies": [x for r in results for x in r[3]],
        "statuses": statuses,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each of the four phases")
    parser.add_argument(
        "--clients",
        type=int,
        default=2,
        help="client processes, one keep-alive connection each (default: one per worker)",
    )
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--max-requests", type=int, default=40_000, help="cap per phase")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the scratch database")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = db_url(DB_NAME)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_feed_settings"
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    server: subprocess.Popen[bytes] | None = None
    try:
        import django

        django.setup()
        cookies = seed(random.Random(440304))
        from django.db import connections

        connections.close_all()
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(REPO_ROOT),
        ]
        server = subprocess.Popen(command, env=env, cwd=REPO_ROOT)  # fixed argv, no shell
        wait_until_up(port, server)
        log(f"server: gunicorn + {args.workers} uvicorn workers on 127.0.0.1:{port}")
        phase(port, FEED_PATHS + BARE_PATHS, cookies, args.clients, 3.0, 5_000)  # warm up both
        runs: dict[str, list[dict[str, Any]]] = {"bare": [], "feed": []}
        for name in ("bare", "feed", "bare", "feed"):
            paths = FEED_PATHS if name == "feed" else BARE_PATHS
            result = phase(port, paths, cookies, args.clients, args.seconds, args.max_requests)
            runs[name].append(result)
            log(
                f"{name}: {result['requests'] / result['seconds']:.0f} req/s, "
                f"p99 {percentile(result['latencies'], 0.99) * 1000:.1f} ms, statuses {result['statuses']}"
            )
        summary: dict[str, Any] = {}
        for name, results in runs.items():
            total = sum(r["requests"] for r in results)
            seconds = sum(r["seconds"] for r in results)
            latencies = [x for r in results for x in r["latencies"]]
            summary[name] = {
                "rps": total / seconds if seconds else 0.0,
                "p50": percentile(latencies, 0.5) * 1000,
                "p99": percentile(latencies, 0.99) * 1000,
                "errors": sum(r["errors"] for r in results),
                "requests": total,
            }
        feed, bare = summary["feed"], summary["bare"]
        print(
            json.dumps(
                {
                    "feed_rps": round(feed["rps"], 1),
                    "bare_rps": round(bare["rps"], 1),
                    "ratio": round(feed["rps"] / bare["rps"], 3) if bare["rps"] else None,
                    "feed_p99_ms": round(feed["p99"], 2),
                    "feed_p50_ms": round(feed["p50"], 2),
                    "bare_p99_ms": round(bare["p99"], 2),
                    "feed_requests": feed["requests"],
                    "bare_requests": bare["requests"],
                    "errors": feed["errors"] + bare["errors"],
                    "clients": args.clients,
                    "workers": args.workers,
                }
            )
        )
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
