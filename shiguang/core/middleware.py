"""Map domain errors raised under a page view to a message and a redirect back, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from shiguang.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if request.method == "POST":
            messages.error(request, str(exception.message))
            back = request.headers.get("referer", "")
            if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
                return HttpResponseRedirect(back)
        return render(request, "error.html", {"error": exception}, status=exception.status)
