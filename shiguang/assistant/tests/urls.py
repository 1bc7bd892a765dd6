"""Test URLconf: the project's URLs plus the assistant's pages and API, for as long as config/urls.py and
config/api.py do not mount them (once they do, this adds nothing and the project's own mounts are used)."""

from __future__ import annotations

from django.urls import include, path

from config import api as project_api
from config import urls as project_urls
from shiguang.assistant.api import router
from shiguang.core.api import build_api

urlpatterns = list(project_urls.urlpatterns)

if not any(getattr(p, "namespace", None) == "assistant" for p in urlpatterns):
    urlpatterns.append(path("assistant/", include("shiguang.assistant.urls")))

if not any(r is router for _prefix, r in project_api.api._routers):
    test_api = build_api(title="assistant (test mount)", version="test", urls_namespace="assistant_test_api")
    test_api.add_router("/assistant", router, tags=["assistant"])
    # Django tries the project's /api/v1/ include first, then this one: the paths match production.
    urlpatterns.append(path("api/v1/", test_api.urls))
