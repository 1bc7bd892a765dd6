"""What a locked-out client sees (django-axes): JSON in our error format for the API, a page otherwise."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    message = _("密码连续输错次数过多，账户已暂时锁定，请15分钟后再试，或联系社区工作人员。")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "rate_limited", "message": message, "fields": {}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
