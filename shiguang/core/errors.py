"""Domain errors. Services raise these; the API and the pages map them once to HTTP codes and messages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "error"
    default_message: Any = _("请求无法完成。")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        self.data = data or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message), "fields": self.fields}
        if self.data:
            body["data"] = self.data
        return body


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = _("请先登录。")


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"
    default_message = _("输入有误，请检查后重试。")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("找不到该记录，或您无权查看。")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("您没有权限执行此操作。")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("该操作与当前状态冲突，请刷新后重试。")


class ConsentRequired(Forbidden):
    code = "consent_required"
    default_message = _("本人尚未同意此类信息的处理，操作无法进行。")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _("请求过于频繁，请稍后再试。")


def from_django_validation(exc: Any) -> ValidationFailed:
    """Turn a django ValidationError into our 422 with per-field messages."""
    if hasattr(exc, "message_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        return ValidationFailed(fields=fields)
    return ValidationFailed(" ".join(str(m) for m in exc.messages))
