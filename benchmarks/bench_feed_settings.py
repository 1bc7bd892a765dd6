"""Settings for benchmarks/bench_feed.py: the real settings (full middleware, PostgreSQL from DATABASE_URL)
with a
URLconf that adds one bare JSON view beside the whole site. Used only by the benchmark's server."""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_feed_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# Under ASGI every request runs its sync code in a fresh thread, so persistent connections (CONN_MAX_AGE > 0,
# the PostgreSQL default in config/env.py) are never reused and pile up until PostgreSQL refuses new clients.
# Without a connection pool (psycopg_pool is not installed), one connection per request is the safe setting.
DATABASES = {"default": {**DATABASES["default"], "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}}  # noqa: F405
