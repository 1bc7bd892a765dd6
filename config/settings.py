"""Settings for Shiguang, driven by environment variables (see README, "Configuration").

Development defaults work out of the box; `config.settings_production` refuses to start without the
secrets and hosts a real deployment needs.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import database, read

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = read("DEBUG", bool, False)
# Development-only fallbacks; production settings refuse to run with these.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZDA="  # base64 of a fixed 32-byte dev key
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key"

SECRET_KEY = read("SECRET_KEY", str, DEV_SECRET_KEY)
ALLOWED_HOSTS = read("ALLOWED_HOSTS", list, ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = read("CSRF_TRUSTED_ORIGINS", list, [])

# Sensitive-field encryption: comma-separated Fernet keys, newest first (rotation: prepend a new key,
# run `manage.py rotate_field_keys`, then drop the old one). Independent of SECRET_KEY.
FIELD_ENCRYPTION_KEYS = read("FIELD_ENCRYPTION_KEYS", list, [DEV_FIELD_KEY])
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except Exception:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes each); "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
        ) from None
BLIND_INDEX_KEY = read("BLIND_INDEX_KEY", str, DEV_BLIND_INDEX_KEY)
if len(BLIND_INDEX_KEY) < 16:
    raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 16 characters.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "shiguang.core",
    "shiguang.accounts",
    "shiguang.places",
    "shiguang.people",
    "shiguang.notify",
    "shiguang.community",
    "shiguang.timebank",
    "shiguang.aid",
    "shiguang.sos",
    "shiguang.legal",
    "shiguang.homeshare",
    "shiguang.assistant",
    "shiguang.reports",
    "shiguang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shiguang.accounts.middleware.StaffMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "shiguang.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shiguang.core.context_processors.platform",
            ],
        },
    }
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": database(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = read("REDIS_URL", str, "")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "shiguang.accounts.backends.PhoneOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session expires after SESSION_IDLE_MINUTES without a request.
SESSION_IDLE_MINUTES = read("SESSION_IDLE_MINUTES", int, 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Staff (community worker and above) must pass a TOTP check when this is on.
STAFF_MFA_REQUIRED = read("STAFF_MFA_REQUIRED", bool, False)
OTP_TOTP_ISSUER = "Shiguang 时光家园"

AXES_FAILURE_LIMIT = read("AXES_FAILURE_LIMIT", int, 5)
AXES_COOLOFF_TIME = 0.25  # hours
# Lock a username after repeated failures from anywhere, and a client (IP + browser) trying many names.
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shiguang.accounts.lockout.lockout_response"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = read("MEDIA_ROOT", str, str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Notification channels by name -> adapter class. SMS/WeChat/voice adapters plug in here.
NOTIFY_CHANNELS = {
    "in_app": "shiguang.notify.channels.InAppChannel",
    "local_sink": "shiguang.notify.channels.LocalSinkChannel",
    "sms": "shiguang.sos.channels.SmsGatewayChannel",
    "voice": "shiguang.sos.channels.VoiceCallChannel",
    "wechat": "shiguang.sos.channels.WeChatSubscribeChannel",
}
NOTIFY_MAX_ATTEMPTS = read("NOTIFY_MAX_ATTEMPTS", int, 5)
# Gateways for the external channels (docs/sos.md). Unconfigured adapters fail fast (non-retryable) so the
# fallback channel takes over; demo and tests route alarms to the local sink.
SMS_GATEWAY_URL = read("SMS_GATEWAY_URL", str, "")
SMS_API_KEY = read("SMS_API_KEY", str, "")
SMS_SIGN_NAME = read("SMS_SIGN_NAME", str, "时光家园")
VOICE_GATEWAY_URL = read("VOICE_GATEWAY_URL", str, "")
VOICE_API_KEY = read("VOICE_API_KEY", str, "")
WECHAT_APP_ID = read("WECHAT_APP_ID", str, "")
WECHAT_APP_SECRET = read("WECHAT_APP_SECRET", str, "")
WECHAT_SOS_TEMPLATE_ID = read("WECHAT_SOS_TEMPLATE_ID", str, "")
WECHAT_OPENID_LOOKUP = read("WECHAT_OPENID_LOOKUP", str, "")
_DEMO = read("DEMO_MODE", bool, False)
SOS_ALARM_CHANNEL = read("SOS_ALARM_CHANNEL", str, "local_sink" if _DEMO else "sms")
SOS_ALARM_FALLBACK_CHANNEL = read("SOS_ALARM_FALLBACK_CHANNEL", str, "local_sink" if _DEMO else "voice")
SOS_DB_THREADS = read("SOS_DB_THREADS", int, 8)

# Content Security Policy: everything is vendored, nothing from a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# AI assistant (docs/assistant.md): the LLM is off unless both URL and model are set.
ASSISTANT_LLM_BASE_URL = read("ASSISTANT_LLM_BASE_URL", str, "")
ASSISTANT_LLM_MODEL = read("ASSISTANT_LLM_MODEL", str, "")
ASSISTANT_LLM_API_KEY = read("ASSISTANT_LLM_API_KEY", str, "")
ASSISTANT_LLM_TIMEOUT = read("ASSISTANT_LLM_TIMEOUT", float, 8.0)
ASSISTANT_ACTION_TTL_MINUTES = read("ASSISTANT_ACTION_TTL_MINUTES", int, 10)
ASSISTANT_SOS_COUNTDOWN_SECONDS = read("ASSISTANT_SOS_COUNTDOWN_SECONDS", int, 10)
ASSISTANT_CONVERSATION_RETENTION_DAYS = read("ASSISTANT_CONVERSATION_RETENTION_DAYS", int, 180)

PLATFORM_NAME = _("时光家园")
DEMO_MODE = read("DEMO_MODE", bool, False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read("LOG_LEVEL", str, "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
