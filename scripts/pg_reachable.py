"""Exit 0 when the PostgreSQL server in argv[1] (a DATABASE_URL) accepts connections."""

import sys

import environ
import psycopg

cfg = environ.Env.db_url_config(sys.argv[1])
try:
    psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        connect_timeout=3,
    ).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
