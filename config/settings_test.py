"""Test settings: fast hashing, the local notification sink, tasks run by the test itself."""

from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_FAILURE_LIMIT = 5
STAFF_MFA_REQUIRED = False
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MIDDLEWARE = list(MIDDLEWARE)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Close connections at the end of each request, so the browser tests' server threads don't keep the test
# database open (PostgreSQL refuses to drop a database with open connections).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Never let a developer's environment switch the assistant's LLM on in tests.
ASSISTANT_LLM_BASE_URL = ""
ASSISTANT_LLM_MODEL = ""
