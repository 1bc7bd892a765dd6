"""Volunteer training pages: sessions and enrolment, the trainer's roster (attendance and results), a
volunteer's certifications, staff records of certifications, insurance and recruitment, district rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.accounts.choices import Role
from shiguang.community import exports, selectors, services
from shiguang.community.choices import EnrollmentStatus, TrainingResult
from shiguang.community.forms import (
    CertificationForm,
    CourseForm,
    InsuranceForm,
    MarkForm,
    ReasonForm,
    RecruitmentForm,
    SessionForm,
)
from shiguang.community.models import CourseSession, SessionEnrollment
from shiguang.community.rulespec import RULES
from shiguang.community.selectors import training as training_selectors
from shiguang.community.services._common import facility_in_scope, is_worker
from shiguang.community.services.training import ATTENDANCE_OPENS_BEFORE
from shiguang.community.views._helpers import is_htmx, staff
from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden, NotFound
from shiguang.core.forms import apply_errors
from shiguang.people import selectors as people
from shiguang.people.choices import VerificationStatus


def _volunteer(request: HttpRequest) -> Any:
    profile = getattr(request.user, "volunteer_profile", None)
    if profile is None:
        raise Forbidden(_("此页面供志愿者使用。"))
    return profile


def _cert_rows(certs: Any) -> list[dict[str, Any]]:
    today = clock.today()
    return [
        {
            "cert": c,
            "status": selectors.certification_status(c, today),
            "days_left": (c.expires_on - today).days,
        }
        for c in certs
    ]


@login_required
def training(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if is_worker(user):
        context = {
            "sessions": list(training_selectors.sessions_for_staff(user)),
            "courses": list(training_selectors.courses()),
            "cert_counts": training_selectors.certification_counts(user),
            "recruitment": training_selectors.recruitment_summary(user),
            "expiring": list(selectors.expiring_certifications(user)[:50]),
            "can_add_course": user.is_superuser or user.role in (Role.DISTRICT_STAFF, Role.ADMIN),
        }
        return render(request, "community/training_staff.html", context)
    volunteer = _volunteer(request)
    enrolled = {
        e.session_id: e
        for e in SessionEnrollment.objects.filter(volunteer=volunteer, status=EnrollmentStatus.ENROLLED)
    }
    sessions = list(training_selectors.upcoming_sessions())
    certs = list(selectors.valid_certifications(volunteer).order_by("kind"))
    context = {
        "volunteer": volunteer,
        "sessions": [{"session": s, "enrollment": enrolled.get(s.id)} for s in sessions],
        "certs": _cert_rows(certs),
        "held_kinds": {c.kind for c in certs},
    }
    return render(request, "community/training.html", context)


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = SessionForm(
        request.POST or None,
        querysets={"course": training_selectors.courses(), "facility": selectors.facilities_for(user)},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        course = data.pop("course")
        try:
            session = services.session_create(actor=user, course_id=course.id, **data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已发布培训场次。"))
            return redirect("community:session_detail", session_id=session.id)
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("发布培训场次"), "back": reverse("community:training")},
    )


@login_required
def course_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已新增课程：%(title)s。") % {"title": course.title})
            return redirect("community:training")
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("新增课程"), "back": reverse("community:training")},
    )


def _session_context(user: Any, session: Any) -> dict[str, Any]:
    enrollments = list(training_selectors.enrollments_for(user, session))
    enrolled_ids = {e.volunteer_id for e in enrollments if e.status == EnrollmentStatus.ENROLLED}
    candidates = [
        v
        for v in people.volunteer_list(user).filter(verification_status=VerificationStatus.VERIFIED)[:300]
        if v.id not in enrolled_ids
    ]
    return {
        "session": session,
        "enrollments": enrollments,
        "candidates": candidates,
        "results": TrainingResult.choices,
        "cancel_form": ReasonForm(),
        "can_manage": facility_in_scope(session.facility, user),
        "can_mark": clock.now() >= session.start_at - ATTENDANCE_OPENS_BEFORE
        and (facility_in_scope(session.facility, user) or session.trainer_id == user.pk),
        "n_enrolled": len(enrolled_ids),
    }


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    user: Any = request.user
    if not is_worker(user) and not CourseSession.objects.filter(pk=session_id, trainer=user).exists():
        raise Forbidden(_("此页面供讲师和工作人员使用。"))
    session = training_selectors.session_for_staff(user, session_id)
    if request.GET.get("format") == "xlsx":
        return exports.session_attendance(session, training_selectors.enrollments_for(user, session))
    return render(request, "community/session_detail.html", _session_context(user, session))


@login_required
@require_POST
def session_enroll(request: HttpRequest, session_id: int) -> HttpResponse:
    user: Any = request.user
    if request.POST.get("volunteer_id"):
        staff(request)
        try:
            volunteer = people.volunteer_get(user, request.POST.get("volunteer_id"))
        except NotFound:
            messages.error(request, _("找不到该志愿者，或不在您的辖区。"))
            return redirect("community:session_detail", session_id=session_id)
        services.session_enroll(actor=user, session_id=session_id, volunteer=volunteer)
        messages.success(request, _("已为%(name)s报名。") % {"name": volunteer.name})
        return redirect("community:session_detail", session_id=session_id)
    volunteer = _volunteer(request)
    enrollment = services.session_enroll(actor=user, session_id=session_id, volunteer=volunteer)
    messages.success(
        request,
        _("报名成功：%(course)s。请按时到场签到，培训通过后证书会显示在“我的证书”。")
        % {"course": enrollment.session.course.title},
    )
    return redirect("community:training")


@login_required
@require_POST
def enrollment_cancel(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    enrollment = services.enrollment_cancel(actor=request.user, enrollment_id=enrollment_id)
    messages.success(request, _("已取消培训报名。"))
    if is_worker(request.user):
        return redirect("community:session_detail", session_id=enrollment.session_id)
    return redirect("community:training")


@login_required
@require_POST
def enrollment_mark(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    user: Any = request.user
    form = MarkForm(request.POST)
    error = ""
    enrollment = None
    if form.is_valid():
        try:
            enrollment = services.enrollment_mark(
                actor=user,
                enrollment_id=enrollment_id,
                attended=form.cleaned_data["attended"],
                result=form.cleaned_data["result"],
            )
        except DomainError as exc:
            if not is_htmx(request):
                raise
            error = str(exc.message)
    else:
        error = _("请选择考核结果。")
    if enrollment is None:
        enrollment = (
            SessionEnrollment.objects.select_related("volunteer__community", "certification")
            .filter(pk=enrollment_id)
            .first()
        )
        if enrollment is None:
            raise NotFound()
    if is_htmx(request):
        return render(
            request,
            "community/session_detail.html#row",
            {"e": enrollment, "results": TrainingResult.choices, "can_mark": True, "error": error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已登记：%(name)s。") % {"name": enrollment.volunteer.name})
    return redirect("community:session_detail", session_id=enrollment.session_id)


@login_required
@require_POST
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    user = staff(request)
    services.session_cancel(actor=user, session_id=session_id, reason=request.POST.get("reason", "")[:200])
    messages.success(request, _("培训场次已取消，已通知报名的志愿者。"))
    return redirect("community:session_detail", session_id=session_id)


@login_required
def my_certifications(request: HttpRequest) -> HttpResponse:
    """A volunteer's own certifications (all, with status), insurance, recruitment channel and training."""
    volunteer = _volunteer(request)
    user: Any = request.user
    recruitment = training_selectors.recruitment_of(volunteer)
    form = RecruitmentForm(
        request.POST or None,
        initial={"channel": recruitment.channel, "organisation": recruitment.organisation}
        if recruitment
        else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.recruitment_set(actor=user, volunteer=volunteer, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存招募渠道。"))
            return redirect("community:my_certifications")
    context = {
        "volunteer": volunteer,
        "certs": _cert_rows(selectors.certifications_of(user, volunteer)),
        "insurances": list(selectors.insurances_of(user, volunteer)),
        "insured": selectors.has_valid_insurance(volunteer),
        "insurance_required": selectors.insurance_required(volunteer.community.street.district_id),
        "enrollments": list(training_selectors.enrollments_of(volunteer)[:20]),
        "recruitment": recruitment,
        "form": form,
    }
    return render(request, "community/my_certifications.html", context)


@login_required
def volunteers(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    query = request.GET.get("q", "").strip()[:40]
    rows = training_selectors.volunteer_rows(user)
    if query:
        rows = rows.filter(name__icontains=query)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "community/volunteers.html", {"page": page, "query": query})


def _volunteer_context(user: Any, volunteer: Any, **forms: Any) -> dict[str, Any]:
    recruitment = training_selectors.recruitment_of(volunteer)
    return {
        "volunteer": volunteer,
        "certs": _cert_rows(selectors.certifications_of(user, volunteer)),
        "insurances": list(selectors.insurances_of(user, volunteer)),
        "insured": selectors.has_valid_insurance(volunteer),
        "may_visit": selectors.volunteer_may_visit_homes(volunteer),
        "recruitment": recruitment,
        "enrollments": list(training_selectors.enrollments_of(volunteer)[:20]),
        "cert_form": forms.get("cert_form") or CertificationForm(),
        "insurance_form": forms.get("insurance_form") or InsuranceForm(),
        "recruitment_form": forms.get("recruitment_form")
        or RecruitmentForm(
            initial={
                "channel": recruitment.channel,
                "organisation": recruitment.organisation,
                "note": recruitment.note,
            }
            if recruitment
            else None
        ),
        "revoke_form": ReasonForm(),
    }


@login_required
def volunteer_detail(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    user = staff(request)
    volunteer = people.volunteer_get(user, volunteer_id)
    forms: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        form: Any
        try:
            if action == "certification":
                form = forms["cert_form"] = CertificationForm(request.POST)
                if form.is_valid():
                    services.certification_record(actor=user, volunteer=volunteer, **form.cleaned_data)
                    messages.success(request, _("已记录资质证书。"))
                    return redirect("community:volunteer_detail", volunteer_id=volunteer.id)
            elif action == "insurance":
                form = forms["insurance_form"] = InsuranceForm(request.POST)
                if form.is_valid():
                    services.insurance_record(actor=user, volunteer=volunteer, **form.cleaned_data)
                    messages.success(request, _("已登记志愿者意外险。"))
                    return redirect("community:volunteer_detail", volunteer_id=volunteer.id)
            elif action == "recruitment":
                form = forms["recruitment_form"] = RecruitmentForm(request.POST)
                if form.is_valid():
                    services.recruitment_set(actor=user, volunteer=volunteer, **form.cleaned_data)
                    messages.success(request, _("已保存招募渠道。"))
                    return redirect("community:volunteer_detail", volunteer_id=volunteer.id)
            elif action == "revoke":
                services.certification_revoke(
                    actor=user,
                    certification_id=int(request.POST.get("certification_id") or 0),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("证书已撤销。"))
                return redirect("community:volunteer_detail", volunteer_id=volunteer.id)
        except DomainError as exc:
            if action == "revoke":
                raise
            apply_errors(form, exc)
    return render(request, "community/volunteer_detail.html", _volunteer_context(user, volunteer, **forms))


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not (user.is_superuser or user.role in (Role.DISTRICT_STAFF, Role.ADMIN)):
        raise Forbidden(_("区级规则由区民政局工作人员设置。"))
    if request.method == "POST":
        key = request.POST.get("key", "")
        if key not in RULES:
            messages.error(request, _("未知的规则。"))
        else:
            value: Any = request.POST.get("value", "")
            if RULES[key].kind is bool:
                value = request.POST.get("value") == "on"
            try:
                services.rule_set(actor=user, key=key, value=value, note=request.POST.get("note", ""))
            except DomainError as exc:
                messages.error(
                    request, "；".join(m for msgs in exc.fields.values() for m in msgs) or str(exc.message)
                )
            else:
                messages.success(request, _("规则已更新。"))
                return redirect("community:rules")
    return render(request, "community/rules.html", {"rules": selectors.rules_for(user)})
