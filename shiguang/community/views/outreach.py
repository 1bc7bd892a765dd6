"""Outreach pages: visit list and log, screening questionnaire, the funnel report, youth surveys."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.accounts.choices import Role
from shiguang.community import exports, screening, selectors, services
from shiguang.community.choices import OutreachOutcome
from shiguang.community.forms import LinkElderForm, OutreachForm, ScreeningForm, YouthSurveyForm
from shiguang.community.selectors import outreach as outreach_selectors
from shiguang.community.services._common import is_worker
from shiguang.community.views._helpers import parse_date, staff
from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden
from shiguang.core.forms import apply_errors
from shiguang.core.masking import mask_text
from shiguang.people import selectors as people
from shiguang.places import selectors as place_selectors


def _filters(request: HttpRequest) -> dict[str, Any]:
    community = request.GET.get("community", "")
    return {
        "community_id": int(community) if community.isdigit() else None,
        "start": parse_date(request.GET.get("start")),
        "end": parse_date(request.GET.get("end")),
    }


@login_required
def outreach(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    filters = _filters(request)
    outcome = request.GET.get("outcome", "")
    interest = request.GET.get("interest", "")
    visits = selectors.outreach_list(user, outcome=outcome, interest=interest, **filters)
    if request.GET.get("format") == "xlsx":
        return exports.outreach_visits(visits)
    page = Paginator(visits, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "communities": place_selectors.communities_in_scope(user),
        "outcomes": OutreachOutcome.choices,
        "f": {**filters, "outcome": outcome, "interest": interest},
        "query": request.GET.urlencode(),
        "mask": mask_text,
    }
    return render(request, "community/outreach.html", context)


@login_required
def outreach_elder_search(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    query = request.GET.get("q", "").strip()[:40]
    elders = list(people.elder_list(user, query=query)[:8]) if query else []
    return render(request, "community/outreach_form.html#elder_results", {"elders": elders, "query": query})


@login_required
def outreach_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    initial: dict[str, Any] = {"visited_on": clock.today(), "outcome": OutreachOutcome.INFORMED}
    if request.GET.get("elder"):
        initial["elder_id"] = request.GET.get("elder")
    form = OutreachForm(
        request.POST or None,
        querysets={"community": place_selectors.communities_in_scope(user)},
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.outreach_log(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记走访。可继续录入筛查问卷。"))
            return redirect("community:outreach_detail", visit_id=visit.id)
    return render(request, "community/outreach_form.html", {"form": form})


@login_required
def outreach_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    user = staff(request)
    visit = outreach_selectors.visit_get(user, visit_id)
    response = outreach_selectors.screening_of(visit)
    form = ScreeningForm(initial=response.answers if response else None)
    return render(
        request,
        "community/outreach_detail.html",
        {
            "visit": visit,
            "screening": response,
            "form": form,
            "link_form": LinkElderForm(),
            "address": mask_text(visit.household_address),
            "can_screen": visit.outcome not in (OutreachOutcome.NOT_HOME, OutreachOutcome.DECLINED),
            "answer_rows": _answer_rows(response.answers) if response else [],
        },
    )


def _answer_rows(answers: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for q in screening.table():
        labels = {o["value"]: o["label"] for o in q["options"]}
        value = answers.get(q["id"])
        if isinstance(value, list):
            text = "、".join(str(labels.get(v, v)) for v in value) or "—"
        else:
            text = labels.get(value, "—") if value else "—"
        rows.append((q["label"], text))
    return rows


@login_required
@require_POST
def outreach_screening(request: HttpRequest, visit_id: int) -> HttpResponse:
    user = staff(request)
    visit = outreach_selectors.visit_get(user, visit_id)
    form = ScreeningForm(request.POST)
    if form.is_valid():
        try:
            result = services.screening_record(actor=user, visit_id=visit.id, answers=form.answers())
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("问卷已保存：%(priority)s（风险分 %(score)s）。")
                % {"priority": result.get_priority_display(), "score": result.score},
            )
            return redirect("community:outreach_detail", visit_id=visit.id)
    return render(
        request,
        "community/outreach_detail.html",
        {
            "visit": visit,
            "screening": outreach_selectors.screening_of(visit),
            "form": form,
            "link_form": LinkElderForm(),
            "address": mask_text(visit.household_address),
            "can_screen": True,
            "answer_rows": [],
        },
        status=422,
    )


@login_required
@require_POST
def outreach_link(request: HttpRequest, visit_id: int) -> HttpResponse:
    user = staff(request)
    form = LinkElderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写长者编号。"))
    else:
        visit = services.outreach_link_elder(
            actor=user, visit_id=visit_id, elder_id=form.cleaned_data["elder_id"]
        )
        messages.success(
            request, _("已关联长者档案：%(name)s。") % {"name": visit.elder.name if visit.elder else ""}
        )
    return redirect("community:outreach_detail", visit_id=visit_id)


@login_required
def funnel(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    filters = _filters(request)
    data = selectors.funnel(user, **filters)
    if request.GET.get("format") == "xlsx":
        return exports.funnel_workbook(data)
    return render(
        request,
        "community/funnel.html",
        {
            "data": data,
            "communities": place_selectors.communities_in_scope(user),
            "f": filters,
            "query": request.GET.urlencode(),
            "stage_keys": ",".join(s["key"] for s in data["stages"]),
            "stage_names": ",".join(s["label"] for s in data["stages"]),
        },
    )


@login_required
def youth(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not (is_worker(user) or user.role == Role.VOLUNTEER):
        raise Forbidden(_("青年意向调查由社区工作人员登记，或志愿者本人填写。"))
    form = YouthSurveyForm(
        request.POST or None,
        querysets={"community": place_selectors.communities_in_scope(user)},
        initial={"community": user.community_id},
    )
    if user.role == Role.VOLUNTEER:
        del form.fields["community"]
    if request.method == "POST" and form.is_valid():
        try:
            services.youth_survey_record(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记青年意向调查，谢谢！"))
            return redirect("community:youth")
    context: dict[str, Any] = {"form": form, "is_staff": is_worker(user)}
    if is_worker(user):
        surveys = outreach_selectors.youth_surveys(
            user, kind=request.GET.get("kind", ""), interest=request.GET.get("interest", "")
        )
        if request.GET.get("format") == "xlsx":
            return exports.youth_workbook(surveys)
        context["summary"] = selectors.youth_summary(user)
        context["page"] = Paginator(surveys, 25).get_page(request.GET.get("page"))
    return render(request, "community/youth.html", context)
