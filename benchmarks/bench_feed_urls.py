"""The site's URLconf plus a bare Django JSON view, for benchmarks/bench_feed.py only (config/urls.py is
untouched)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def bare(request: HttpRequest) -> JsonResponse:
    """The baseline: a plain Django view behind the same middleware, reading the signed-in user like the
    feed."""
    user: Any = request.user
    return JsonResponse({"ok": True, "user": user.pk if user.is_authenticated else None})


urlpatterns = [path("bench/bare", bare), *site_urlpatterns]
