from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shiguang.places import selectors


@login_required
def network(request: HttpRequest) -> HttpResponse:
    """The four-level service network: coverage chart by street and a map of facilities."""
    context = {
        "coverage": selectors.coverage(),
        "by_street": selectors.coverage_by_street(),
        "streets": selectors.street_summaries(),
    }
    return render(request, "places/network.html", context)
