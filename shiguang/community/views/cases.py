"""Case write-up pages: published cases (masked) for everyone; drafting, submitting and review for staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.community import selectors, services
from shiguang.community.choices import CaseStatus
from shiguang.community.forms import CaseForm, ReasonForm, ReviewForm
from shiguang.community.services._common import APPROVER_ROLES, is_worker
from shiguang.community.views._helpers import staff
from shiguang.core.errors import DomainError
from shiguang.core.forms import apply_errors
from shiguang.core.scoping import in_scope
from shiguang.places import selectors as place_selectors


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    published = [selectors.case_public(c) for c in selectors.published_cases(user)[:30]]
    context: dict[str, Any] = {"published": published, "is_staff": is_worker(user)}
    if is_worker(user):
        context["working"] = list(selectors.case_list(user).exclude(status=CaseStatus.PUBLISHED)[:50])
    return render(request, "community/cases.html", context)


def _form_kwargs(case: Any) -> dict[str, Any]:
    quotes = "\n".join(
        f"{q['speaker_id']}|{q['text']}" if q.get("speaker_id") else q["text"] for q in case.quotes or []
    )
    return {
        "title": case.title,
        "kind": case.kind,
        "community": case.community_id,
        "source_ref": case.source_ref,
        "summary": case.summary,
        "body": case.body,
        "hours": case.hours,
        "outcome": case.outcome,
        "person_ids": ",".join(str(pk) for pk in case.people.values_list("pk", flat=True)),
        "quotes": quotes,
    }


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = CaseForm(
        request.POST or None,
        querysets={"community": place_selectors.communities_in_scope(user)},
        initial={"community": user.community_id, "source_ref": request.GET.get("source", "")[:120]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_draft(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("案例草稿已保存。检查“发布预览”后提交审核。"))
            return redirect("community:case_detail", case_id=case.id)
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("撰写案例"), "back": reverse("community:cases")},
    )


@login_required
def case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    user = staff(request)
    case = selectors.case_get(user, case_id)
    form = CaseForm(
        request.POST or None,
        querysets={"community": place_selectors.communities_in_scope(user)},
        initial=_form_kwargs(case),
    )
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        changes.pop("community", None)
        try:
            services.case_update(actor=user, case_id=case.id, changes=changes)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存修改。"))
            return redirect("community:case_detail", case_id=case.id)
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("修改案例"), "back": reverse("community:case_detail", args=[case.id])},
    )


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    user: Any = request.user
    case = selectors.case_get(user, case_id)
    staff_here = is_worker(user) and in_scope(case.community, user)
    context = {
        "case": case,
        "view": selectors.case_public(case),
        "staff_here": staff_here,
        "can_edit": staff_here and case.status in (CaseStatus.DRAFT, CaseStatus.RETURNED),
        "can_review": staff_here
        and (user.is_superuser or user.role in APPROVER_ROLES)
        and case.status == CaseStatus.SUBMITTED
        and case.drafted_by_id != user.pk,
        "can_withdraw": staff_here
        and (user.is_superuser or user.role in APPROVER_ROLES)
        and case.status == CaseStatus.PUBLISHED,
        "people": list(case.people.all()) if staff_here else [],
        "review_form": ReviewForm(),
        "withdraw_form": ReasonForm(),
    }
    return render(request, "community/case_detail.html", context)


@login_required
@require_POST
def case_submit(request: HttpRequest, case_id: int) -> HttpResponse:
    services.case_submit(actor=request.user, case_id=case_id)
    messages.success(request, _("已提交审核，街道工作人员会收到通知。"))
    return redirect("community:case_detail", case_id=case_id)


@login_required
@require_POST
def case_review(request: HttpRequest, case_id: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择发布或退回。"))
        return redirect("community:case_detail", case_id=case_id)
    approve = form.cleaned_data["decision"] == "approve"
    services.case_review(actor=request.user, case_id=case_id, approve=approve, note=form.cleaned_data["note"])
    messages.success(request, _("案例已发布。") if approve else _("已退回修改。"))
    return redirect("community:case_detail", case_id=case_id)


@login_required
@require_POST
def case_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    services.case_withdraw(actor=request.user, case_id=case_id, reason=request.POST.get("reason", ""))
    messages.success(request, _("案例已撤下。"))
    return redirect("community:case_detail", case_id=case_id)
