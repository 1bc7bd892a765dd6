#!/usr/bin/env python
"""Benchmark the time-bank ledger: concurrent writer processes on PostgreSQL, then verify.

Creates a scratch database (`bench_ledger` by default; dropped at the end), migrates it, seeds volunteers
(with a float of hours) and priority elders, then runs the same workload — 60 % confirmed services
(post_service), 25 % transfers to an eligible elder, 15 % donations to a pool; every call a full service
with its audit event and notifications — in two phases:

  baseline   --writers writers, each call its own database transaction, no ledger writer
             (--baseline-seconds, default 8)
  main       the same writers through `manage.py ledger_writer` (group commit; --writer-threads, default 1)
             (--seconds, default 20)

After each phase `verify_ledger` recomputes every transaction and balance; violations are summed, and the
audit chains are verified at the end. While a phase runs, pg_stat_activity is sampled to see what waits on a
lock; CPU is read from /proc (the whole machine, the writer processes, the ledger writer, the PostgreSQL and
Redis servers) and divided by the committed transactions. Progress goes to stderr; the last stdout line is one
JSON object:

  {"writers", "transactions", "tps", "violations", "baseline_tps", "speedup", "lock_wait_share",
   "cpu_ms_per_tx", "client_cpu_ms_per_tx", "ledger_writer_cpu_ms_per_tx", "postgres_cpu_ms_per_tx",
   "mean_batch", ...}

    .venv/bin/python benchmarks/bench_ledger.py [--writers 16] [--seconds 20] [--writer-threads 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bench_ledger"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
VOLUNTEERS_PER_WRITER = 12
ELDERS = 200
FLOAT_MINUTES = 600  # each volunteer starts with 10 hours to give


def log(message: str) -> None:
    print(f"[bench_ledger] {message}", file=sys.stderr, flush=True)


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def create_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    for attempt in range(10):  # the server may be briefly out of connections (it is shared)
        try:
            with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            if attempt == 9:
                raise
            time.sleep(3)


def free_connections(url: str) -> int:
    import psycopg

    admin, _name = _admin_url(url)
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        limit = int(conn.execute("SHOW max_connections").fetchone()[0])
        used = int(conn.execute("SELECT COUNT(*) FROM pg_stat_activity").fetchone()[0])
    return limit - used


# --- seeding ------------------------------------------------------------------------------------------------


def seed(writers: int) -> dict[str, Any]:
    import datetime as dt

    from django.db import transaction

    from shiguang.accounts.models import User
    from shiguang.core import clock
    from shiguang.people.models import ElderProfile, VolunteerProfile
    from shiguang.places.models import Community, District, Street
    from shiguang.timebank import services

    district = District.objects.create(name="福田区", code="440304")
    street = Street.objects.create(district=district, name="南园")
    communities = [Community.objects.create(street=street, name=f"基准{i}", is_ageing=True) for i in range(4)]
    today = clock.today()
    volunteers = []
    n_volunteers = VOLUNTEERS_PER_WRITER * writers
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"bench-v{i}",
                    role="volunteer",
                    display_name=f"志愿者{i}",
                    community=communities[i % len(communities)],
                )
                for i in range(n_volunteers)
            ]
        )
        VolunteerProfile.objects.bulk_create(
            [
                VolunteerProfile(
                    user=u, community=u.community, name=u.display_name, gender="female", kind="graduate"
                )
                for u in users
            ]
        )
        volunteers = [u.pk for u in users]
        elder_users = User.objects.bulk_create(
            [
                User(
                    username=f"bench-e{i}",
                    role="elder",
                    display_name=f"长者{i}",
                    community=communities[i % len(communities)],
                )
                for i in range(ELDERS)
            ]
        )
        ElderProfile.objects.bulk_create(
            [
                ElderProfile(
                    user=u,
                    community=u.community,
                    name=u.display_name,
                    gender="female",
                    birth_date=dt.date(today.year - 85, 1, 1),
                    living_arrangement="alone",
                    hukou="registered",
                )
                for u in elder_users
            ]
        )
    elders = [u.pk for u in elder_users]
    # every volunteer starts with a float of hours (one confirmed service each, through the service)
    for i, pk in enumerate(volunteers):
        provider = User.objects.get(pk=pk)
        receiver = User.objects.get(pk=elders[i % len(elders)])
        services.post_service(
            actor=receiver,
            idempotency_key=f"bench:float:{pk}",
            provider=provider,
            receiver=receiver,
            minutes=FLOAT_MINUTES,
            category="companionship",
            source="bench",
        )
    return {"volunteers": volunteers, "elders": elders, "communities": [c.pk for c in communities]}


# --- writers ------------------------------------------------------------------------------------------------


def backend_cpu_seconds() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, from /proc (same machine only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def writer(
    url: str,
    index: int,
    volunteer_ids: list[int],
    elder_ids: list[int],
    ready: Any,
    start: Any,
    seconds: float,
    group: bool,
    redis_url: str,
    out: Any,
) -> None:
    os.environ["REDIS_URL"] = redis_url if group else ""
    _setup_django(url)
    from django.db import connections

    from shiguang.accounts.models import User
    from shiguang.core.errors import DomainError
    from shiguang.timebank import services

    rng = random.Random(index * 7919 + int(group))
    volunteers = list(User.objects.filter(pk__in=volunteer_ids))
    elders = list(User.objects.filter(pk__in=elder_ids))
    counts: collections.Counter[str] = collections.Counter()
    tag = f"{'g' if group else 'd'}{index}:{os.getpid()}"
    # warm up like a running server: URLconf loaded, one call through every path (not counted)
    from django.urls import reverse

    reverse("timebank:mine")
    warm = rng.choice(volunteers)
    services.post_service(
        actor=elders[0],
        idempotency_key=f"bench:{tag}:warm",
        provider=warm,
        receiver=elders[0],
        minutes=30,
        category="companionship",
        source="bench",
    )
    services.transfer(actor=warm, sender=warm, recipient=elders[0], minutes=1)
    services.donate(actor=warm, sender=warm, pool="priority", minutes=1)
    try:
        ready.wait(timeout=600)
        start.wait(timeout=600)
    except threading.BrokenBarrierError:  # the parent gave up: leave quietly
        connections.close_all()
        return
    deadline = time.monotonic() + seconds
    client0, server0 = time.process_time(), backend_cpu_seconds()
    i = 0
    while time.monotonic() < deadline:
        i += 1
        volunteer = rng.choice(volunteers)
        elder = rng.choice(elders)
        roll = rng.random()
        try:
            if roll < 0.60:
                services.post_service(
                    actor=elder,
                    idempotency_key=f"bench:{tag}:{i}",
                    provider=volunteer,
                    receiver=elder,
                    minutes=rng.choice((30, 45, 60, 90)),
                    category=rng.choice(("companionship", "shopping", "medical_escort")),
                    source="bench",
                )
                counts["service"] += 1
            elif roll < 0.85:
                services.transfer(
                    actor=volunteer, sender=volunteer, recipient=elder, minutes=rng.randint(5, 30)
                )
                counts["transfer"] += 1
            else:
                services.donate(
                    actor=volunteer,
                    sender=volunteer,
                    pool=rng.choice(("community", "priority")),
                    minutes=rng.randint(5, 20),
                )
                counts["donation"] += 1
        except DomainError as exc:  # e.g. a transfer above the balance: refused, nothing written
            counts[f"refused:{exc.code}"] += 1
        except Exception as exc:
            counts[f"error:{type(exc).__name__}"] += 1
    server1 = backend_cpu_seconds()
    cpu = {"client": time.process_time() - client0}
    if server0 is not None and server1 is not None:
        cpu["server"] = server1 - server0
    connections.close_all()
    out.put((dict(counts), cpu))


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores; /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def servers_cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by the PostgreSQL and Redis server processes on this machine (/proc; processes
    that exited in between are missed, so this is a floor)."""
    used: collections.Counter[str] = collections.Counter()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name in ("postgres", "redis-server"):
            fields = text.rsplit(")", 1)[1].split()
            used[name] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return dict(used)


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_ledger_writer(url: str, redis_url: str, threads: int = 1) -> Any:
    """`manage.py ledger_writer` for this database; returns once its heartbeat is up."""
    import subprocess

    import redis

    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "manage.py"), "ledger_writer", "--threads", str(threads)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(client.scan_iter(match="shiguang:ledger:*:alive")):
            return proc
        if proc.poll() is not None:
            raise RuntimeError("the ledger writer exited")
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the ledger writer did not start")


def _waiting_on(query: str) -> str:
    """What a statement waiting on a lock is after, from its text (the ledger writer's statements arrive one
    by one, each in a pipeline of prepared statements)."""
    text = query.lower()
    if "timebank_account" in text and "for update" in text:
        return "people, pool and shard rows (load)"
    if text.startswith("update timebank_account set min_balance"):
        return "ledger account row (credit floor)"
    if "core_audithead" in text:
        return "audit head row"
    if "timebank_posting" in text:
        return "account rows or transaction id (posting trigger)"
    if "timebank_ledgertransaction" in text:
        return "transaction id or idempotency key"
    if "timebank_account" in text:
        return "ledger account row"
    if "notify_notification" in text:
        return "notification dedupe key"
    return "other"


def run_phase(
    url: str,
    seed_data: dict[str, Any],
    writers: int,
    seconds: float,
    *,
    group: bool,
    redis_url: str,
    sample: bool = False,
    writer_threads: int = 1,
) -> dict[str, Any]:
    import signal

    from django.db import connection

    from shiguang.timebank.models import LedgerTransaction
    from shiguang.timebank.verify import verify_ledger

    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(writers + 1)
    start = ctx.Barrier(writers + 1)
    out = ctx.Queue()
    vols = seed_data["volunteers"]
    per = max(1, len(vols) // writers)
    ledger_writer = start_ledger_writer(url, redis_url, writer_threads) if group else None
    procs = [
        ctx.Process(
            target=writer,
            args=(
                url,
                i,
                vols[i * per : (i + 1) * per] or vols,
                seed_data["elders"],
                ready,
                start,
                seconds,
                group,
                redis_url,
                out,
            ),
        )
        for i in range(writers)
    ]
    connection.close()
    for p in procs:
        p.start()
    waits: collections.Counter[str] = collections.Counter()
    samples = [0]
    stop = threading.Event()

    def sampler() -> None:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            while not stop.is_set():
                rows = conn.execute(
                    "SELECT wait_event_type, wait_event, query FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
                ).fetchall()
                for wait_type, wait_event, query in rows:
                    samples[0] += 1
                    if wait_type == "Lock":
                        waits[f"{wait_event}:{_waiting_on(query or '')}"] += 1
                time.sleep(0.05)

    try:
        ready.wait(timeout=600)
        before = LedgerTransaction.objects.count()
        connection.close()
    except BaseException:
        ready.abort()
        start.abort()
        for p in procs:
            p.terminate()
        raise
    thread = threading.Thread(target=sampler, daemon=True)
    mean_batch = None
    try:
        start.wait(timeout=600)
        began = time.monotonic()
        busy0 = machine_busy_seconds()
        servers0 = servers_cpu_seconds()
        lw0 = process_cpu_seconds(ledger_writer.pid) if ledger_writer else 0.0
        if sample:
            thread.start()
        results = [out.get(timeout=seconds + 300) for _ in procs]
        elapsed = time.monotonic() - began
        busy = machine_busy_seconds() - busy0
        servers = collections.Counter(servers_cpu_seconds())
        servers.subtract(servers0)
        lw = (process_cpu_seconds(ledger_writer.pid) - lw0) if ledger_writer else 0.0
    except BaseException:
        ready.abort()
        start.abort()
        for p in procs:
            p.terminate()
        raise
    finally:
        stop.set()
        if ledger_writer is not None:
            ledger_writer.send_signal(signal.SIGTERM)
            said, _err = ledger_writer.communicate(timeout=30)
            # "ledger writer stopped: N calls in M batches"
            stopped = re.search(r"stopped: (\d+) calls in (\d+) batches", said or "")
            if stopped and int(stopped[2]):
                mean_batch = round(int(stopped[1]) / int(stopped[2]), 1)
    for p in procs:
        p.join(timeout=30)
    if sample:
        thread.join(timeout=5)
    committed = LedgerTransaction.objects.count() - before
    report = verify_ledger()
    totals: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    for calls, used in results:
        totals.update(calls)
        cpu.update(used)
    # CPU per committed transaction, the writers' Python plus their PostgreSQL backends (the server's
    # background work, WAL writer and checkpoints are left out, so this is a floor).
    per_tx = lambda seconds_: round(seconds_ * 1000 / committed, 2) if committed else None  # noqa: E731
    lock_samples = sum(waits.values())
    return {
        "writers": writers,
        "group_commit": group,
        "seconds": round(elapsed, 2),
        "transactions": committed,
        "tps": round(committed / elapsed, 1),
        "violations": report.violations,
        "first_violation": report.first,
        "calls": dict(totals),
        "lock_wait_share": round(lock_samples / samples[0], 3) if samples[0] else None,
        "waits": dict(waits.most_common(5)),
        # CPU per committed transaction: the whole machine (every process, PostgreSQL's background work
        # included), the writer processes' Python, their PostgreSQL backends, the ledger writer's Python.
        "cpu_ms_per_tx": per_tx(busy),
        "client_cpu_ms_per_tx": per_tx(cpu["client"]),
        "server_cpu_ms_per_tx": per_tx(cpu["server"]),
        "ledger_writer_cpu_ms_per_tx": per_tx(lw) if group else None,
        "postgres_cpu_ms_per_tx": per_tx(servers["postgres"]),
        "redis_cpu_ms_per_tx": per_tx(servers["redis-server"]),
        "mean_batch": mean_batch,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=8)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--writer-threads", type=int, default=1, help="ledger writer threads (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = args.pg
    free = free_connections(url)
    if free < args.writers + 6:
        log(f"PostgreSQL has only {free} free connections; {args.writers + 6} are needed (server busy?)")
        return 2
    log(f"creating {url}")
    create_database(url)
    try:
        _setup_django(url)
        from django.core.management import call_command

        from shiguang.core.audit import verify_chain

        t0 = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        n_volunteers = VOLUNTEERS_PER_WRITER * args.writers
        log(f"migrated in {time.monotonic() - t0:.1f} s; seeding {n_volunteers} volunteers")
        seed_data = seed(args.writers)
        log(f"baseline: {args.writers} writers, each call its own transaction, {args.baseline_seconds:.0f} s")
        baseline = run_phase(
            url,
            seed_data,
            args.writers,
            args.baseline_seconds,
            group=False,
            redis_url=args.redis,
            sample=True,
        )
        log(
            f"baseline: {baseline['tps']} tps, {baseline['violations']} violations, {baseline['calls']}, "
            f"{baseline['cpu_ms_per_tx']} ms CPU per transaction, lock waits {baseline['waits']}"
        )
        log(f"main: {args.writers} writers through the ledger writer (group commit), {args.seconds:.0f} s")
        main_phase = run_phase(
            url,
            seed_data,
            args.writers,
            args.seconds,
            group=True,
            redis_url=args.redis,
            sample=True,
            writer_threads=args.writer_threads,
        )
        log(f"main: {main_phase['tps']} tps, {main_phase['violations']} violations, {main_phase['calls']}")
        log(
            f"main: {main_phase['cpu_ms_per_tx']} ms CPU per transaction on the machine "
            f"(writers {main_phase['client_cpu_ms_per_tx']}, their PostgreSQL backends "
            f"{main_phase['server_cpu_ms_per_tx']}, "
            f"ledger writer {main_phase['ledger_writer_cpu_ms_per_tx']}, "
            f"PostgreSQL {main_phase['postgres_cpu_ms_per_tx']}, Redis {main_phase['redis_cpu_ms_per_tx']}); "
            f"{main_phase['mean_batch']} calls per batch"
        )
        log(
            f"main: share of samples waiting on a lock {main_phase['lock_wait_share']}: {main_phase['waits']}"
        )
        chain = verify_chain()
        log(f"audit chain: {'ok' if chain.ok else 'BROKEN'} ({chain.checked} events)")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)
            log("dropped the scratch database")
    violations = baseline["violations"] + main_phase["violations"]
    refused = {
        k: v for k, v in main_phase["calls"].items() if not k.startswith(("service", "transfer", "don"))
    }
    result = {
        "writers": args.writers,
        "transactions": main_phase["transactions"],
        "tps": main_phase["tps"],
        "violations": violations,
        "seconds": main_phase["seconds"],
        "baseline": "same writers, each call its own database transaction (no ledger writer)",
        "baseline_writers": args.writers,
        "baseline_transactions": baseline["transactions"],
        "baseline_tps": baseline["tps"],
        "speedup": round(main_phase["tps"] / baseline["tps"], 2) if baseline["tps"] else None,
        "lock_wait_share": main_phase["lock_wait_share"],
        "top_wait": next(iter(main_phase["waits"]), None),
        "baseline_lock_wait_share": baseline["lock_wait_share"],
        "audit_chain_ok": chain.ok,
        "refused": refused,
        "cpu_ms_per_tx": main_phase["cpu_ms_per_tx"],
        "client_cpu_ms_per_tx": main_phase["client_cpu_ms_per_tx"],
        "server_cpu_ms_per_tx": main_phase["server_cpu_ms_per_tx"],
        "ledger_writer_cpu_ms_per_tx": main_phase["ledger_writer_cpu_ms_per_tx"],
        "postgres_cpu_ms_per_tx": main_phase["postgres_cpu_ms_per_tx"],
        "redis_cpu_ms_per_tx": main_phase["redis_cpu_ms_per_tx"],
        "mean_batch": main_phase["mean_batch"],
        "baseline_cpu_ms_per_tx": baseline["cpu_ms_per_tx"],
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0 if violations == 0 and chain.ok and not any(k.startswith("error") for k in refused) else 1


if __name__ == "__main__":
    sys.exit(main())
