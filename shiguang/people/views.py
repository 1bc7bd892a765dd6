from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.accounts import selectors as account_selectors
from shiguang.accounts import services as account_services
from shiguang.core.errors import DomainError, Forbidden
from shiguang.core.forms import apply_errors
from shiguang.people import assessment, importer, selectors, services
from shiguang.people.forms import (
    ContactForm,
    ElderForm,
    FamilyLinkForm,
    FamilySignupForm,
    ImportForm,
    ProxyConsentForm,
    RevealForm,
    VolunteerSignupForm,
)
from shiguang.places import selectors as place_selectors


def _staff(request: HttpRequest) -> Any:
    user: Any = request.user
    if not (user.is_staff_role or user.is_superuser):
        raise Forbidden()
    return user


@login_required
def elder_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    query = request.GET.get("q", "")[:40]
    page = Paginator(selectors.elder_list(user, query=query), 25).get_page(request.GET.get("page"))
    context = {"page": page, "query": query}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "people/elder_list.html#results", context)
    return render(request, "people/elder_list.html", context)


@login_required
def elder_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ElderForm(request.POST or None, communities=place_selectors.communities_in_scope(user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        community = data.pop("community")
        data["password"] = data.get("password") or None
        try:
            elder = services.elder_register(actor=user, community=community, **data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已为%(name)s完成登记。") % {"name": elder.name})
            return redirect("people:elder_detail", elder_id=elder.id)
    return render(request, "people/elder_form.html", {"form": form})


@login_required
def elder_detail(request: HttpRequest, elder_id: int) -> HttpResponse:
    user: Any = request.user
    elder = selectors.elder_get(user, elder_id)
    context = {
        "elder": elder,
        "masked": services.masked(elder),
        "can_unmask": services.can_unmask(user, elder),
        "reveal_form": RevealForm(),
        "contact_form": ContactForm(),
        "consent_form": ProxyConsentForm(),
        "family_form": FamilyLinkForm(),
        "contacts": elder.emergency_contacts.all(),
        "assessments": selectors.assessments_for(user, elder)[:5],
        "consents": account_selectors.consents_of(user, elder.user),
        "family": elder.family_links.select_related("family_user"),
    }
    return render(request, "people/elder_detail.html", context)


@login_required
@require_POST
def elder_reveal(request: HttpRequest, elder_id: int) -> HttpResponse:
    user: Any = request.user
    elder = selectors.elder_get(user, elder_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(
            request, "people/elder_detail.html#reveal", {"elder": elder, "reveal_form": form}, status=422
        )
    try:
        value = services.elder_reveal(actor=user, elder=elder, **form.cleaned_data)
    except DomainError as exc:
        return render(
            request,
            "people/elder_detail.html#reveal",
            {"elder": elder, "reveal_form": form, "error": exc.message},
            status=exc.status,
        )
    return render(
        request,
        "people/elder_detail.html#reveal",
        {
            "elder": elder,
            "reveal_form": RevealForm(),
            "revealed": {"field": form.cleaned_data["field"], "value": value},
        },
    )


@login_required
@require_POST
def elder_contact_add(request: HttpRequest, elder_id: int) -> HttpResponse:
    user: Any = request.user
    elder = selectors.elder_get(user, elder_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        services.emergency_contact_add(actor=user, elder=elder, **form.cleaned_data)
        messages.success(request, _("已添加紧急联系人。"))
    else:
        messages.error(
            request,
            _("紧急联系人信息有误：%(errors)s")
            % {
                "errors": "；".join(
                    f"{form.fields[k].label}: {' '.join(str(m) for m in v)}"
                    for k, v in form.errors.items()
                    if k in form.fields
                )
            },
        )
    return redirect("people:elder_detail", elder_id=elder.id)


@login_required
@require_POST
def elder_consent(request: HttpRequest, elder_id: int) -> HttpResponse:
    user = _staff(request)
    elder = selectors.elder_get(user, elder_id)
    if request.POST.get("action") == "withdraw":
        account_services.consent_withdraw(
            actor=user, subject=elder.user, category=request.POST.get("category", "")
        )
        messages.success(request, _("已记录撤回。"))
        return redirect("people:elder_detail", elder_id=elder.id)
    form = ProxyConsentForm(request.POST)
    if form.is_valid():
        account_services.consent_grant(actor=user, subject=elder.user, **form.cleaned_data)
        messages.success(request, _("已代为记录同意。"))
    else:
        messages.error(request, _("请选择同意类别和方式。"))
    return redirect("people:elder_detail", elder_id=elder.id)


@login_required
def elder_assess(request: HttpRequest, elder_id: int) -> HttpResponse:
    user = _staff(request)
    elder = selectors.elder_get(user, elder_id)
    errors: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    if request.method == "POST":
        answers = {item["id"]: request.POST.get(item["id"]) for _d, _l, item in assessment.items()}
        try:
            record = services.assessment_record(
                actor=user, elder=elder, answers=answers, note=request.POST.get("note", "")
            )
        except DomainError as exc:
            errors = exc.fields
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("评估已保存：总分 %(total)s，%(level)s。")
                % {"total": record.total, "level": record.get_level_display()},
            )
            return redirect("people:elder_detail", elder_id=elder.id)
    domains = [
        {
            "label": d["label"],
            "items": [
                {
                    **item,
                    "choices": range(item["max"] + 1),
                    "value": str(answers.get(item["id"]) or ""),
                    "errors": errors.get(item["id"], []),
                }
                for item in d["items"]
            ],
        }
        for d in assessment.table()["domains"]
    ]
    return render(
        request,
        "people/assess.html",
        {"elder": elder, "domains": domains, "source": assessment.table()["source"]},
    )


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    page = Paginator(selectors.volunteer_list(user), 25).get_page(request.GET.get("page"))
    return render(request, "people/volunteer_list.html", {"page": page})


@login_required
@require_POST
def volunteer_verify(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    user = _staff(request)
    volunteer = selectors.volunteer_get(user, volunteer_id)
    approve = request.POST.get("decision") == "approve"
    services.volunteer_verify(actor=user, volunteer=volunteer, approve=approve)
    messages.success(
        request,
        _("已核验：%(name)s") % {"name": volunteer.name}
        if approve
        else _("已标记为未通过：%(name)s") % {"name": volunteer.name},
    )
    return redirect("people:volunteer_list")


@login_required
def roster_import(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = importer.import_workbook(
            form.cleaned_data["file"],
            actor=user,
            valid_only=form.cleaned_data["valid_only"],
            dry_run=form.cleaned_data["dry_run"],
        )
        if report.written:
            messages.success(request, _("已导入 %(n)s 行。") % {"n": report.written})
    return render(request, "people/import.html", {"form": form, "report": report})


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    _staff(request)
    response = HttpResponse(
        importer.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


def _sign_in(request: HttpRequest, user: Any) -> None:
    login(request, user, backend="shiguang.accounts.backends.PhoneOrUsernameBackend")


def signup_volunteer(request: HttpRequest) -> HttpResponse:
    """Newcomers and resident volunteers sign themselves up; a worker verifies them before home visits."""
    form = VolunteerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            volunteer = services.volunteer_register(actor=None, **data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            _sign_in(request, volunteer.user)
            messages.success(request, _("注册成功！社区工作人员核验后，您就可以接受上门服务任务。"))
            return redirect("home")
    return render(request, "people/signup.html", {"form": form, "title": _("志愿者注册")})


def signup_family(request: HttpRequest) -> HttpResponse:
    """Family members register, then the elder (or a worker for the elder) links them by phone."""
    form = FamilySignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.user_create(
                actor=None,
                role="family",
                display_name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            _sign_in(request, user)
            messages.success(request, _("注册成功！请长者本人或社区工作人员用您的手机号关联您。"))
            return redirect("home")
    return render(request, "people/signup.html", {"form": form, "title": _("家属注册")})


@login_required
@require_POST
def elder_family_link(request: HttpRequest, elder_id: int) -> HttpResponse:
    user: Any = request.user
    elder = selectors.elder_get(user, elder_id)
    form = FamilyLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写正确的手机号和关系。"))
        return redirect("people:elder_detail", elder_id=elder.id)
    family_user = account_selectors.user_by_phone(form.cleaned_data["phone"])
    if family_user is None:
        messages.error(request, _("没有找到使用该手机号注册的家属，请家属先注册。"))
        return redirect("people:elder_detail", elder_id=elder.id)
    services.family_link(
        actor=user, elder=elder, family_user=family_user, relation=form.cleaned_data["relation"]
    )
    messages.success(request, _("已关联家属。"))
    return redirect("people:elder_detail", elder_id=elder.id)
