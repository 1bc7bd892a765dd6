"""Message templates by code. Rendered at display/send time, so the reader's language applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MessageTemplate:
    title: Any
    body: Any


_REGISTRY: dict[str, MessageTemplate] = {}


def register(code: str, *, title: Any, body: Any) -> None:
    _REGISTRY[code] = MessageTemplate(title, body)


class _Safe(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def render(code: str, data: dict[str, Any]) -> tuple[str, str]:
    tpl = _REGISTRY.get(code)
    if tpl is None:
        return code, ""
    safe = _Safe(data)
    return str(tpl.title).format_map(safe), str(tpl.body).format_map(safe)


register("system.welcome", title=_("欢迎使用时光家园"), body=_("{name}，您好！有需要随时找我们。"))
register("system.message", title=_("{title}"), body=_("{body}"))
register("people.elder.registered", title=_("新登记长者"), body=_("{worker}为{elder}完成了登记。"))
register("people.consent.withdrawn", title=_("同意已撤回"), body=_("{elder}撤回了“{category}”的同意。"))
