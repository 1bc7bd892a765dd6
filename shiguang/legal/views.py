"""Pages of the legal centre: advisor workspace, clause library, review queue, consultations, mediation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden, NotFound
from shiguang.core.forms import apply_errors
from shiguang.legal import forms, registry, selectors, services
from shiguang.legal.choices import ConsultationStatus, MediationStatus, ReviewStatus


def _advisor(request: HttpRequest) -> Any:
    user: Any = request.user
    if not services.is_advisor(user):
        raise Forbidden(_("该页面仅供法律顾问使用。"))
    return user


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _advisor(request)
    context = {
        "load": selectors.workload(user),
        "reviews": selectors.reviews(user, status=ReviewStatus.PENDING)[:5],
        "consultations": selectors.consultations(user, status=ConsultationStatus.OPEN)[:5],
        "cases": selectors.mediation_cases(user, status=MediationStatus.OPEN)[:5],
    }
    return render(request, "legal/index.html", context)


# --- clause library -----------------------------------------------------------------------------------------


@login_required
def clauses(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not (user.is_staff_role or user.is_superuser):
        raise Forbidden()
    docs = [
        {"spec": spec, "clauses": selectors.current_clauses(spec.domain)} for spec in registry.documents()
    ]
    return render(request, "legal/clauses.html", {"docs": docs, "can_edit": services.is_advisor(user)})


@login_required
def clause_edit(request: HttpRequest, domain: str, key: str = "") -> HttpResponse:
    user = _advisor(request)
    spec = registry.document(domain)
    if spec is None:
        raise NotFound()
    current = selectors.clause_get(domain, key) if key else None
    if key and current is None:
        raise NotFound()
    initial = (
        {
            "key": current.key,
            "title": current.title,
            "element": current.element,
            "position": current.position,
            "text": current.text,
        }
        if current
        else {"position": 200}
    )
    form = forms.ClauseForm(
        request.POST or None, initial=initial, elements=spec.elements, fixed_key=bool(current)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            clause = services.clause_save(
                actor=user,
                domain=domain,
                key=current.key if current else data["key"],
                title=data["title"],
                text=data["text"],
                element=data["element"],
                position=data["position"],
                note=data["note"],
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存为第%(v)s版。") % {"v": clause.version})
            return redirect("legal:clauses")
    context = {
        "form": form,
        "spec": spec,
        "current": current,
        "history": selectors.clause_history(domain, key) if key else [],
        "placeholders": sorted((k, str(v)) for k, v in spec.placeholders.items()),
    }
    return render(request, "legal/clause_form.html", context)


# --- reviews ------------------------------------------------------------------------------------------------


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    user = _advisor(request)
    status = request.GET.get("status", ReviewStatus.PENDING)
    status = status if status in (*ReviewStatus.values, "") else ReviewStatus.PENDING
    page = Paginator(selectors.reviews(user, status=status), 25).get_page(request.GET.get("page"))
    rows = [selectors.review_row(r) for r in page]
    return render(
        request,
        "legal/reviews.html",
        {"page": page, "rows": rows, "status": status, "statuses": ReviewStatus.choices},
    )


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _advisor(request)
    review = selectors.review_get(user, review_id)
    form = forms.DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("approve") == "1"
        try:
            services.review_decide(
                actor=user, review_id=review.pk, approve=approve, notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("审核通过。") if approve else _("已退回修改。"))
            return redirect("legal:reviews")
    return render(
        request,
        "legal/review_detail.html",
        {
            "review": selectors.review_row(review),
            "form": form,
            "pending": review.status == ReviewStatus.PENDING,
        },
    )


# --- consultations ------------------------------------------------------------------------------------------


@login_required
def consultations(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.ConsultationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交，法律顾问会尽快回复。"))
            return redirect("legal:consultation_detail", consultation_id=consultation.pk)
    status = request.GET.get("status", "")
    status = status if status in ConsultationStatus.values else ""
    page = Paginator(selectors.consultations(user, status=status), 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "is_advisor": services.is_advisor(user),
        "status": status,
        "statuses": ConsultationStatus.choices,
    }
    return render(request, "legal/consultations.html", context)


@login_required
def consultation_detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    user: Any = request.user
    consultation = selectors.consultation_get(user, consultation_id)
    is_advisor = services.is_advisor(user)
    form = None
    if is_advisor and consultation.status != ConsultationStatus.CLOSED:
        form = forms.AnswerForm(
            request.POST or None,
            initial={
                "answer": consultation.answer,
                "outcome": consultation.outcome,
                "notes": consultation.advisor_notes,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.consultation_answer(actor=user, consultation_id=consultation.pk, **form.cleaned_data)
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已回复咨询人。"))
                return redirect("legal:consultation_detail", consultation_id=consultation.pk)
    context = {
        "c": consultation,
        "row": selectors.consultation_row(consultation, user),
        "form": form,
        "is_advisor": is_advisor,
    }
    return render(request, "legal/consultation_detail.html", context)


@login_required
@require_POST
def consultation_close(request: HttpRequest, consultation_id: int) -> HttpResponse:
    services.consultation_close(actor=request.user, consultation_id=consultation_id)  # type: ignore[arg-type]
    messages.success(request, _("已结案。"))
    return redirect("legal:consultation_detail", consultation_id=consultation_id)


# --- mediation ----------------------------------------------------------------------------------------------


@login_required
def mediation(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    status = request.GET.get("status", "")
    status = status if status in MediationStatus.values else ""
    page = Paginator(selectors.mediation_cases(user, status=status), 25).get_page(request.GET.get("page"))
    rows = [selectors.mediation_row(c) for c in page]
    return render(
        request,
        "legal/mediation.html",
        {"page": page, "rows": rows, "status": status, "statuses": MediationStatus.choices},
    )


@login_required
def mediation_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    user: Any = request.user
    case = selectors.mediation_get(user, case_id)
    is_advisor = services.is_advisor(user)
    session_form = close_form = None
    if is_advisor and case.status == MediationStatus.OPEN:
        session_form = forms.SessionForm(
            request.POST if request.POST.get("form") == "session" else None,
            auto_id="session_%s",
            initial={"held_at": clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M")},
        )
        close_form = forms.CloseForm(
            request.POST if request.POST.get("form") == "close" else None, auto_id="close_%s"
        )
        if request.method == "POST":
            try:
                if request.POST.get("form") == "session" and session_form.is_valid():
                    services.mediation_session_add(actor=user, case_id=case.pk, **session_form.cleaned_data)
                    messages.success(request, _("已记录调解。"))
                    return redirect("legal:mediation_detail", case_id=case.pk)
                if request.POST.get("form") == "close" and close_form.is_valid():
                    services.mediation_close(actor=user, case_id=case.pk, **close_form.cleaned_data)
                    messages.success(request, _("已结案。"))
                    return redirect("legal:mediation_detail", case_id=case.pk)
            except DomainError as exc:
                target = session_form if request.POST.get("form") == "session" else close_form
                apply_errors(target, exc)
    context = {
        "case": selectors.mediation_row(case, with_sessions=True),
        "is_advisor": is_advisor,
        "session_form": session_form,
        "close_form": close_form,
    }
    return render(request, "legal/mediation_detail.html", context)
