"""Production settings: every secret and host must come from the environment."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import read
from config.settings import *  # noqa: F403
from config.settings import DEV_BLIND_INDEX_KEY, DEV_FIELD_KEY, DEV_SECRET_KEY

DEBUG = False
SECRET_KEY = read("SECRET_KEY")
ALLOWED_HOSTS = read("ALLOWED_HOSTS", list)
FIELD_ENCRYPTION_KEYS = read("FIELD_ENCRYPTION_KEYS", list)
BLIND_INDEX_KEY = read("BLIND_INDEX_KEY")
if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")
if DEV_FIELD_KEY in FIELD_ENCRYPTION_KEYS or BLIND_INDEX_KEY == DEV_BLIND_INDEX_KEY:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS / BLIND_INDEX_KEY must not use the development keys.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names this deployment serves.")

STAFF_MFA_REQUIRED = read("STAFF_MFA_REQUIRED", bool, True)
SECURE_SSL_REDIRECT = read("SECURE_SSL_REDIRECT", bool, True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = read("SECURE_HSTS_SECONDS", int, 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
