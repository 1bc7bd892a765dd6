"""Strict environment parsing: a bad value stops start-up with a message that names the variable."""

from __future__ import annotations

import os
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def read(name: str, cast: Any = str, default: Any = environ.Env.NOTSET) -> Any:
    if cast is bool and name in os.environ:
        raw = os.environ[name].strip().lower()
        if raw not in _TRUE | _FALSE:
            raise ImproperlyConfigured(
                f"Environment variable {name} has a bad value: use true or false, not {raw!r}."
            )
        return raw in _TRUE
    try:
        return env.get_value(name, cast=cast, default=default)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(f"Environment variable {name} is required but not set.") from None
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has a bad value: {exc}") from None


def database(default: str) -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL") or default  # empty means "use the default"
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # environ raises several types for malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL must point to SQLite or PostgreSQL, not {engine!r}.")
    if engine == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
        # concurrent writers queue instead of failing half-way with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        # ASGI runs each sync request in a fresh thread, so persistent connections would pile up (one per
        # request) until PostgreSQL refuses clients; pool with PgBouncer in front instead (README).
        config["CONN_MAX_AGE"] = 0
        # Statements sent through core.bulk.Round (the ledger's group commit) are prepared after 5 uses.
        # Behind PgBouncer in transaction mode that needs PgBouncer >= 1.21 with max_prepared_statements set;
        # DATABASE_PREPARED_STATEMENTS=false turns preparing off instead.
        if read("DATABASE_PREPARED_STATEMENTS", cast=bool, default=True):
            config["OPTIONS"] = {**config.get("OPTIONS", {}), "prepare_threshold": 5}
    return config
