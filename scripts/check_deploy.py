"""Run `check --deploy --fail-level WARNING` against the production settings with a sample environment.

Proves the production settings pass Django's deployment checks given the required variables.
"""

import os
import subprocess
import sys

from cryptography.fernet import Fernet

env = {
    **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
    "DJANGO_SETTINGS_MODULE": "config.settings_production",
    "SECRET_KEY": "x" * 20 + "-check-deploy-sample-secret-key-" + "y" * 20,
    "ALLOWED_HOSTS": "shiguang.example.org",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "sample-blind-index-key-for-check",
    "DATABASE_URL": "sqlite:///:memory:",
}
sys.exit(
    subprocess.call([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env)
)
