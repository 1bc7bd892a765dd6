"""Start-up checks for the assistant's settings: a bad value stops `manage.py check` / runserver / migrate
with a message naming the setting (DESIGN §4.6, strict settings)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


def _int_setting(name: str, default: int, minimum: int, errors: list[CheckMessage]) -> None:
    value = getattr(settings, name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        errors.append(
            Error(
                f"{name} must be a whole number ≥ {minimum}, not {value!r}.",
                id=f"assistant.E{len(errors) + 1:03d}",
            )
        )


@register()
def assistant_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    _int_setting("ASSISTANT_ACTION_TTL_MINUTES", 10, 1, errors)
    _int_setting("ASSISTANT_SOS_COUNTDOWN_SECONDS", 10, 0, errors)
    _int_setting("ASSISTANT_CONVERSATION_RETENTION_DAYS", 180, 1, errors)
    base_url = str(getattr(settings, "ASSISTANT_LLM_BASE_URL", "") or "").strip()
    model = str(getattr(settings, "ASSISTANT_LLM_MODEL", "") or "").strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        errors.append(
            Error(
                f"ASSISTANT_LLM_BASE_URL must start with http:// or https://, not {base_url!r}.",
                id="assistant.E010",
            )
        )
    if bool(base_url) != bool(model):
        errors.append(
            Warning(
                "Set both ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL to switch the LLM on; "
                "with only one of them the assistant stays offline.",
                id="assistant.W001",
            )
        )
    timeout = getattr(settings, "ASSISTANT_LLM_TIMEOUT", 8.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        errors.append(
            Error(
                f"ASSISTANT_LLM_TIMEOUT must be seconds between 0 and 60, not {timeout!r}.",
                id="assistant.E011",
            )
        )
    return errors
