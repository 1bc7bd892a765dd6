"""ASGI entry point (uvicorn / gunicorn with uvicorn workers).

Two Django handlers share the process:
- every request goes through the full middleware stack (sessions, CSRF, locale, auth, MFA, messages, CSP…);
- the signed device endpoints (`/api/v1/sos/device/…`: pendants, wristbands, sensors) go through a lean one.
  They carry no cookie and no session, render no page, and are authenticated by their per-device signature,
  so the stack has nothing to do for them but it still cost them a thread hop in and out of the (sync) chain
  and ~1 ms of CPU each. In a burst (200 pendants after a power cut) that is what the alarms queue behind.
  The lean handler keeps Django's request handling (URL resolution, request signals, error responses) and
  the security, locale and common middleware (headers, HTTPS redirect, language of error messages), run inline
  on the event loop: they do no I/O.

The URL configuration is loaded and every pattern compiled at start-up, so the first requests of a fresh
worker process (often the first alarms of a burst) do not pay for importing every API module.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, cast

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from django.core.handlers.asgi import ASGIHandler  # noqa: E402  (after django.setup())
from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.http import HttpRequest, HttpResponse, HttpResponseBase  # noqa: E402
from django.middleware.common import CommonMiddleware  # noqa: E402
from django.middleware.locale import LocaleMiddleware  # noqa: E402
from django.middleware.security import SecurityMiddleware  # noqa: E402
from django.urls import Resolver404, get_resolver  # noqa: E402

DEVICE_PREFIX = "/api/v1/sos/device/"


# Middleware that only reads the request and sets headers (no I/O, no session): safe on the event loop.
INLINE_MIDDLEWARE = (SecurityMiddleware, LocaleMiddleware, CommonMiddleware)


class DeviceASGIHandler(ASGIHandler):
    """Django's ASGI handler with only INLINE_MIDDLEWARE, whose hooks run inline (no thread hops)."""

    def load_middleware(self, is_async: bool = False) -> None:
        def unused(request: HttpRequest) -> HttpResponse:
            raise AssertionError("only the hooks of these instances are called")

        hooks: list[Any] = [mw(unused) for mw in INLINE_MIDDLEWARE]
        view: Any = convert_exception_to_response(self._get_response_async)  # type: ignore[attr-defined]

        async def chain(request: HttpRequest) -> HttpResponseBase:
            response: Any = None
            for mw in hooks:
                response = mw.process_request(request)
                if response is not None:
                    break
            if response is None:
                response = await view(request)
            for mw in reversed(hooks):
                response = mw.process_response(request, response)
            return cast(HttpResponseBase, response)

        handler: Any = self
        handler._middleware_chain = convert_exception_to_response(chain)
        handler._view_middleware = []
        handler._template_response_middleware = []
        handler._exception_middleware = []


device_application = DeviceASGIHandler()

Scope = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope.get("path", "").startswith(DEVICE_PREFIX):
        await device_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)


def _warm_up() -> None:
    resolver = get_resolver()
    with contextlib.suppress(Resolver404):
        resolver.resolve("/-warm-up-/")  # matches nothing, so every pattern's regex gets compiled


_warm_up()
