"""Shared API pieces: the one error format, authentication (session or bearer token), throttles."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from shiguang.core.errors import DomainError


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


# Every operation declares these so clients (and schemathesis) know every code it can return.
ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


# A row id as clients send it in bodies: bounded to what a 64-bit primary key can hold, so a huge number is a
# named 422 at the boundary rather than a database error.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def user_of(request: HttpRequest) -> Any:
    """The authenticated user (session or bearer); operations without auth=None always have one."""
    return request.user


def page_offset() -> Any:
    return Query(0, ge=0, le=1_000_000, description="rows to skip")


def page_limit(default: int = 50, maximum: int = 200) -> Any:
    return Query(default, ge=1, le=maximum, description=f"rows to return (1–{maximum})")


def responses(ok: Any, status: int = 200) -> dict[int, Any]:
    return {status: ok, **ERRORS}


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from shiguang.accounts.services import token_user

        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Session auth for pages' own API calls. Without a session cookie it steps aside (no CSRF check), so
    bearer-token clients reach BearerAuth instead of failing the session's CSRF check."""

    def __call__(self, request: HttpRequest) -> Any:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def error_response(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    body.setdefault("fields", {})
    return api.create_response(request, body, status=status)


def _field_path(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.as_dict())

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_path(list(err.get("loc", []))), []).append(str(err.get("msg", "")))
        return error_response(
            api, request, 422, {"code": "invalid", "message": _("输入有误，请检查后重试。"), "fields": fields}
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(api, request, 401, {"code": "unauthenticated", "message": _("请先登录。")})

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(
            api, request, 404, {"code": "not_found", "message": _("找不到该记录，或您无权查看。")}
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:  # an unparseable body is invalid input like any other: 422
            return error_response(
                api, request, 422, {"code": "invalid", "message": _("请求内容无法解析，请检查格式。")}
            )
        code = "rate_limited" if exc.status_code == 429 else "error"
        message = _("请求过于频繁，请稍后再试。") if exc.status_code == 429 else str(exc)
        return error_response(api, request, exc.status_code, {"code": code, "message": message})

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A number the database cannot hold (SQLite OverflowError, PostgreSQL "out of range") is bad input.
        _roll_back_if_atomic()
        return error_response(api, request, 422, {"code": "invalid", "message": _("数值超出允许范围。")})

    @api.exception_handler(IntegrityError)
    def integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        _roll_back_if_atomic()
        # SQLite reports an integer it cannot store as "datatype mismatch": bad input, not a conflict.
        if "datatype mismatch" in str(exc):
            return error_response(api, request, 422, {"code": "invalid", "message": _("数值超出允许范围。")})
        return error_response(
            api, request, 409, {"code": "conflict", "message": _("该操作与当前状态冲突，请刷新后重试。")}
        )

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        import logging

        logging.getLogger("shiguang.api").exception("unhandled API error")
        return error_response(
            api, request, 500, {"code": "server_error", "message": _("系统繁忙，请稍后再试。")}
        )


def _roll_back_if_atomic() -> None:
    """A database error answered here leaves PostgreSQL's transaction aborted: inside an atomic block (a
    caller's transaction, a test's savepoint) the block must roll back, not try to commit."""
    if transaction.get_connection().in_atomic_block:
        transaction.set_rollback(True)


class ObjectBodyParser(Parser):
    """Every JSON body of this API is an object. ninja's schemas would read a bare scalar or list as an object
    with no fields (all defaults), so `1` posted to "mark read" meant "mark everything read"; refuse it as
    unparseable (a 422) instead."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the request body must be a JSON object")
        return data


def build_api(**kwargs: Any) -> NinjaAPI:
    api = NinjaAPI(
        parser=ObjectBodyParser(),
        auth=[ActiveSessionAuth(), BearerAuth()],
        throttle=[AnonRateThrottle("60/m"), AuthRateThrottle("600/m")],
        **kwargs,
    )
    install_error_handlers(api)
    return api
