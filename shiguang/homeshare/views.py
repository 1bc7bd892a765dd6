"""Pages of the homeshare pilot: elder, youth, coordinator. Thin: services write, selectors read."""

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
from shiguang.homeshare import documents, forms, selectors, services
from shiguang.homeshare.choices import (
    MANUAL_STAGES,
    OPEN_MATCH,
    AgreementStatus,
    MatchStatus,
    SignerRole,
    Stage,
)
from shiguang.legal import services as legal_services
from shiguang.people import selectors as people_selectors
from shiguang.places.models import Community, Street


def _worker(request: HttpRequest) -> Any:
    user: Any = request.user
    if not services.is_worker(user):
        raise Forbidden(_("该页面仅供社区工作人员使用。"))
    return user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- coordinator dashboard ----------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    offers = selectors.offers(user, open_only=True)
    apps = selectors.applications(user, open_only=True)
    context = {
        "offers_open": offers.count(),
        "apps_open": apps.count(),
        "to_vet": offers.filter(stage__in=MANUAL_STAGES).count()
        + apps.filter(stage__in=MANUAL_STAGES).count(),
        "pool": [len(x) for x in selectors.pool(user)],
        "proposals": selectors.matches(user, status=MatchStatus.PROPOSED)[:10],
        "accepted": selectors.matches(user, status=MatchStatus.ACCEPTED)[:10],
        "monitoring": selectors.monitoring_overview(user),
        "visits": selectors.visits_due(user)[:10],
    }
    return render(request, "homeshare/index.html", context)


# --- elder and youth ----------------------------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role not in ("elder", "volunteer"):
        return redirect("homeshare:index")
    match = selectors.match_for_user(user)
    context: dict[str, Any] = {"match": match}
    if user.role == "elder":
        context["offer"] = selectors.offer_for_elder(user)
        context["pending_help"] = selectors.pending_help_for_elder(user)
    else:
        context["application"] = selectors.application_for_youth(user)
        context["volunteer"] = getattr(user, "volunteer_profile", None)
        if match is not None and match.status in (MatchStatus.TRIAL, MatchStatus.ACTIVE):
            context["help_form"] = forms.HelpLogForm(initial={"date": clock.today()})
            context["help_logs"] = match.help_logs.all()[:10]
    if match is not None:
        context["agreement"] = services.current_version(match)
    context["to_sign"] = selectors.agreements_to_sign(user)
    return render(request, "homeshare/mine.html", context)


# --- offers -------------------------------------------------------------------------------------------------


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    page = Paginator(selectors.offers(user, stage=stage), 25).get_page(request.GET.get("page"))
    return render(
        request, "homeshare/offer_list.html", {"page": page, "stage": stage, "stages": Stage.choices}
    )


@login_required
def offer_new(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    elders = people_selectors.elder_list(user).exclude(
        homeshare_offers__dropped_at__isnull=True,
        homeshare_offers__stage__in=[s for s in Stage.values if s != "ended"],
    )
    form = forms.OfferForm(
        request.POST or None, elders=elders, initial={"elder": _int(request.GET.get("elder"))}
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(actor=user, elder=form.cleaned_data["elder"], **form.service_data())
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记房源。"))
            return redirect("homeshare:offer_detail", offer_id=offer.pk)
    return render(request, "homeshare/offer_form.html", {"form": form, "title": _("登记长者房源")})


@login_required
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = _worker(request)
    offer = selectors.offer_get(user, offer_id)
    initial = {k: getattr(offer, k) for k in services.OFFER_FIELDS}
    form = forms.OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.service_data().items() if initial.get(k) != v}
        try:
            services.offer_update(actor=user, offer_id=offer.pk, changes=changes)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("homeshare:offer_detail", offer_id=offer.pk)
    return render(
        request, "homeshare/offer_form.html", {"form": form, "title": _("修改房源"), "offer": offer}
    )


@login_required
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    user: Any = request.user
    offer = selectors.offer_get(user, offer_id)
    context = {
        "offer": offer,
        "is_worker": services.is_worker(user),
        "problems": services.vetting_problems(offer) if offer.stage != Stage.VETTED else [],
        "consent_form": forms.ConsentForm(auto_id="consent_%s"),
        "dropout_form": forms.DropoutForm(auto_id="drop_%s"),
        "events": offer.events.select_related("actor"),
        "matches": offer.matches.select_related("application__volunteer").order_by("-id"),
        "next_stage": _next_stage(offer),
    }
    return render(request, "homeshare/offer_detail.html", context)


def _next_stage(participant: Any) -> str:
    order = ["outreach", "interested", "screened", "vetted"]
    if participant.dropped_at is not None or participant.stage not in order[:-1]:
        return ""
    return order[order.index(participant.stage) + 1]


@login_required
@require_POST
def offer_consent(request: HttpRequest, offer_id: int) -> HttpResponse:
    user: Any = request.user
    form = forms.ConsentForm(request.POST)
    key = request.POST.get("key", "")
    method = form.data.get("method", "paper") if services.is_worker(user) else "online"
    services.offer_consent(actor=user, offer_id=offer_id, key=key, method=method)
    messages.success(request, _("已记录同意。"))
    if user.role == "elder":
        return redirect("homeshare:mine")
    return redirect("homeshare:offer_detail", offer_id=offer_id)


@login_required
def offer_suggest(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = _worker(request)
    offer = selectors.offer_get(user, offer_id)
    suggestions = selectors.suggestions(user, offer, k=3)
    template = "homeshare/offer_detail.html#suggestions" if request.htmx else "homeshare/suggestions.html"  # type: ignore[attr-defined]
    return render(request, template, {"offer": offer, "suggestions": suggestions})


# --- applications -------------------------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    page = Paginator(selectors.applications(user, stage=stage), 25).get_page(request.GET.get("page"))
    return render(
        request, "homeshare/application_list.html", {"page": page, "stage": stage, "stages": Stage.choices}
    )


@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    volunteer = getattr(user, "volunteer_profile", None)
    if volunteer is None:
        volunteer_id = _int(request.GET.get("volunteer") or request.POST.get("volunteer"))
        _worker(request)
        if volunteer_id is None:
            raise NotFound(_("请从志愿者名单中选择要代为申请的青年。"))
        volunteer = people_selectors.volunteer_get(user, volunteer_id)
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_create(actor=user, volunteer=volunteer, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("申请已提交，社区工作人员会联系您核实推荐人和身份。"))
            if user.pk == volunteer.user_id:
                return redirect("homeshare:mine")
            return redirect("homeshare:application_detail", application_id=app.pk)
    return render(
        request,
        "homeshare/application_form.html",
        {"form": form, "volunteer": volunteer, "title": _("申请同住")},
    )


@login_required
def application_edit(request: HttpRequest, application_id: int) -> HttpResponse:
    user: Any = request.user
    app = selectors.application_get(user, application_id)
    initial = {k: getattr(app, k) for k in services.APPLICATION_FIELDS}
    form = forms.ApplicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        new_id = data.pop("id_number", "")
        changes = {k: v for k, v in data.items() if initial.get(k) != v}
        if new_id:
            changes["id_number"] = new_id
        try:
            services.application_update(actor=user, application_id=app.pk, changes=changes)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("homeshare:application_detail", application_id=app.pk)
    return render(
        request,
        "homeshare/application_form.html",
        {"form": form, "volunteer": app.volunteer, "title": _("修改申请"), "application": app},
    )


@login_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    user: Any = request.user
    app = selectors.application_get(user, application_id)
    from shiguang.core.masking import mask_id_number

    context = {
        "app": app,
        "is_worker": services.is_worker(user),
        "id_masked": mask_id_number(app.id_number),
        "references": app.references.all(),
        "problems": services.vetting_problems(app) if app.stage != Stage.VETTED else [],
        "reference_form": forms.ReferenceForm(auto_id="ref_%s"),
        "background_form": forms.BackgroundForm(auto_id="bg_%s", initial={"checked_on": clock.today()}),
        "dropout_form": forms.DropoutForm(auto_id="drop_%s"),
        "events": app.events.select_related("actor"),
        "matches": app.matches.select_related("offer__elder").order_by("-id"),
        "next_stage": _next_stage(app),
    }
    return render(request, "homeshare/application_detail.html", context)


@login_required
@require_POST
def reference_add(request: HttpRequest, application_id: int) -> HttpResponse:
    form = forms.ReferenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("推荐人信息不完整。"))
    else:
        services.reference_add(actor=request.user, application_id=application_id, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("已添加推荐人。"))
    return redirect("homeshare:application_detail", application_id=application_id)


@login_required
@require_POST
def reference_check(request: HttpRequest, reference_id: int) -> HttpResponse:
    user = _worker(request)
    form = forms.ReferenceCheckForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("请选择核实结果。"))
    ref = services.reference_check(actor=user, reference_id=reference_id, **form.cleaned_data)
    messages.success(request, _("已记录核实结果。"))
    return redirect("homeshare:application_detail", application_id=ref.application_id)


@login_required
@require_POST
def background(request: HttpRequest, application_id: int) -> HttpResponse:
    user = _worker(request)
    form = forms.BackgroundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写核查结果和日期。"))
    else:
        services.background_record(actor=user, application_id=application_id, **form.cleaned_data)
        messages.success(request, _("已记录核查结果。"))
    return redirect("homeshare:application_detail", application_id=application_id)


# --- the funnel ---------------------------------------------------------------------------------------------


def _participant_redirect(kind: str, pk: int) -> HttpResponse:
    if kind == "offer":
        return redirect("homeshare:offer_detail", offer_id=pk)
    return redirect("homeshare:application_detail", application_id=pk)


@login_required
@require_POST
def stage(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = _worker(request)
    try:
        services.stage_advance(
            actor=user,
            kind=kind,
            pk=pk,
            stage=request.POST.get("stage", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, " ".join([str(exc.message), *[m for ms in exc.fields.values() for m in ms]]))
    else:
        messages.success(request, _("阶段已更新。"))
    return _participant_redirect(kind, pk)


@login_required
@require_POST
def dropout(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user: Any = request.user
    form = forms.DropoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择退出原因。"))
    else:
        services.dropout(actor=user, kind=kind, pk=pk, **form.cleaned_data)
        messages.success(request, _("已记录退出。"))
    if user.role in ("elder", "volunteer"):
        return redirect("homeshare:mine")
    return _participant_redirect(kind, pk)


@login_required
@require_POST
def rematch(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    services.rematch(actor=_worker(request), kind=kind, pk=pk)
    messages.success(request, _("已回到待配对名单。"))
    return _participant_redirect(kind, pk)


def _place_filters(request: HttpRequest) -> tuple[int | None, int | None]:
    return _int(request.GET.get("street")), _int(request.GET.get("community"))


@login_required
def funnel(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    street_id, community_id = _place_filters(request)
    data = selectors.funnel(user, street_id=street_id, community_id=community_id)
    context = {
        **data,
        "streets": Street.objects.order_by("id"),
        "communities": Community.objects.filter(street_id=street_id).order_by("id") if street_id else [],
        "street_id": street_id,
        "community_id": community_id,
    }
    return render(request, "homeshare/funnel.html", context)


@login_required
def kpis(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    street_id, community_id = _place_filters(request)
    data = selectors.kpis(user, street_id=street_id, community_id=community_id)
    context = {
        "k": data,
        "rates": {
            "elders": selectors.percent(data["elders_matched_within_4_months"]["rate"]),
            "youths": selectors.percent(data["youths_matched_within_4_months"]["rate"]),
            "lasting": selectors.percent(data["lasting_over_6_months"]["rate"]),
        },
        "by_place": selectors.kpis_by_place(user, street_id=street_id),
        "streets": Street.objects.order_by("id"),
        "communities": Community.objects.filter(street_id=street_id).order_by("id") if street_id else [],
        "street_id": street_id,
        "community_id": community_id,
    }
    return render(request, "homeshare/kpis.html", context)


# --- matching -----------------------------------------------------------------------------------------------


@login_required
def matching(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    offers, apps = selectors.pool(user)
    context: dict[str, Any] = {"offers": offers, "apps": apps}
    if request.GET.get("run"):
        context["result"] = selectors.optimal(user)
    return render(request, "homeshare/matching.html", context)


@login_required
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    raw = request.POST.getlist("pair")
    pairs = []
    for item in raw:
        offer_id, _sep, app_id = item.partition(":")
        if _int(offer_id) is None or _int(app_id) is None:
            raise DomainError(_("配对参数有误。"))
        pairs.append((int(offer_id), int(app_id)))
    if len(pairs) == 1:
        match = services.match_propose(
            actor=user, offer_id=pairs[0][0], application_id=pairs[0][1], note=request.POST.get("note", "")
        )
        messages.success(request, _("已推荐，请约双方见面。"))
        return redirect("homeshare:match_detail", match_id=match.pk)
    created = services.match_propose_many(actor=user, pairs=pairs)
    messages.success(request, _("已推荐%(n)s对，请逐一约双方见面。") % {"n": len(created)})
    return redirect("homeshare:matches")


# --- matches ------------------------------------------------------------------------------------------------


@login_required
def match_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not (services.is_worker(user) or legal_services.is_advisor(user)):
        return redirect("homeshare:mine")
    status = request.GET.get("status", "open")
    status = status if status in (*MatchStatus.values, "open", "") else "open"
    page = Paginator(selectors.matches(user, status=status), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "homeshare/match_list.html",
        {"page": page, "status": status, "statuses": MatchStatus.choices},
    )


@login_required
def match_detail(request: HttpRequest, match_id: int) -> HttpResponse:
    user: Any = request.user
    match = selectors.match_get(user, match_id)
    is_worker = services.is_worker(user)
    side = (
        "elder"
        if user.pk == match.offer.elder.user_id
        else "youth"
        if user.pk == match.application.volunteer.user_id
        else ""
    )
    context = {
        "match": match,
        "is_worker": is_worker,
        "is_advisor": legal_services.is_advisor(user),
        "side": side,
        "meetings": match.meetings.all(),
        "agreement": services.current_version(match),
        "visits": match.visits.all(),
        "help_logs": match.help_logs.all()[:30],
        "meeting_form": forms.MeetingForm(
            auto_id="meet_%s", initial={"held_at": clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M")}
        ),
        "end_form": forms.EndForm(auto_id="end_%s", initial={"ended_on": clock.today()}),
        "mediation_form": forms.MediationForm(auto_id="med_%s"),
        "help_form": forms.HelpLogForm(auto_id="help_%s", initial={"date": clock.today()}),
        "open_case": legal_services.mediation_open_for(match),
        "is_open": match.status in OPEN_MATCH,
    }
    return render(request, "homeshare/match_detail.html", context)


@login_required
@require_POST
def meeting(request: HttpRequest, match_id: int) -> HttpResponse:
    user = _worker(request)
    form = forms.MeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写见面时间和地点。"))
    else:
        services.meeting_record(actor=user, match_id=match_id, **form.cleaned_data)
        messages.success(request, _("已记录见面。"))
    return redirect("homeshare:match_detail", match_id=match_id)


@login_required
@require_POST
def decide(request: HttpRequest, match_id: int) -> HttpResponse:
    accept = request.POST.get("accept") == "1"
    side = request.POST.get("side") or None
    match = services.match_decide(
        actor=request.user,  # type: ignore[arg-type]
        match_id=match_id,
        accept=accept,
        side=side,
        note=request.POST.get("note", ""),
    )
    messages.success(
        request,
        _("已记录您的意见。") if match.status == MatchStatus.PROPOSED else str(match.get_status_display()),
    )
    return redirect("homeshare:match_detail", match_id=match_id)


@login_required
@require_POST
def cancel(request: HttpRequest, match_id: int) -> HttpResponse:
    services.match_cancel(actor=_worker(request), match_id=match_id, note=request.POST.get("note", ""))
    messages.success(request, _("已取消该配对。"))
    return redirect("homeshare:match_detail", match_id=match_id)


@login_required
@require_POST
def confirm_trial(request: HttpRequest, match_id: int) -> HttpResponse:
    services.match_confirm_trial(actor=_worker(request), match_id=match_id, note=request.POST.get("note", ""))
    messages.success(request, _("已转为正式同住。"))
    return redirect("homeshare:match_detail", match_id=match_id)


@login_required
@require_POST
def end(request: HttpRequest, match_id: int) -> HttpResponse:
    form = forms.EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择结束原因并填写说明。"))
    else:
        services.match_end(actor=request.user, match_id=match_id, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("已办理结束。"))
    return redirect("homeshare:match_detail", match_id=match_id)


@login_required
@require_POST
def mediation(request: HttpRequest, match_id: int) -> HttpResponse:
    form = forms.MediationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择争议类别并写明争议事项。"))
        return redirect("homeshare:match_detail", match_id=match_id)
    case = services.mediation_request(actor=request.user, match_id=match_id, **form.cleaned_data)  # type: ignore[arg-type]
    messages.success(request, _("已提交调解申请，法律服务中心会联系双方。"))
    return redirect("legal:mediation_detail", case_id=case.pk)


@login_required
@require_POST
def help_log(request: HttpRequest, match_id: int) -> HttpResponse:
    form = forms.HelpLogForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "；".join(
                f"{form.fields[k].label}：{' '.join(str(m) for m in v)}"
                for k, v in form.errors.items()
                if k in form.fields
            )
            or _("请检查填写内容。"),
        )
    else:
        services.helplog_create(actor=request.user, match_id=match_id, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("已记录，等待长者确认。"))
    if request.POST.get("back") == "mine":
        return redirect("homeshare:mine")
    return redirect("homeshare:match_detail", match_id=match_id)


@login_required
@require_POST
def help_confirm(request: HttpRequest, log_id: int) -> HttpResponse:
    entry = services.helplog_confirm(
        actor=request.user,  # type: ignore[arg-type]
        log_id=log_id,
        confirm=request.POST.get("confirm") == "1",
        note=request.POST.get("note", ""),
    )
    messages.success(
        request, _("已确认，谢谢！") if entry.status == "confirmed" else _("已记录异议，社工会跟进。")
    )
    if request.POST.get("back") == "mine":
        return redirect("homeshare:mine")
    return redirect("homeshare:match_detail", match_id=entry.match_id)


# --- agreements ---------------------------------------------------------------------------------------------


@login_required
def agreement_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    user: Any = request.user
    version = selectors.version_get(user, version_id)
    match = version.match
    terms = version.terms
    signed_roles = {s.role for s in version.signatures.all()}
    my_role = (
        SignerRole.ELDER
        if user.pk == match.offer.elder.user_id
        else SignerRole.YOUTH
        if user.pk == match.application.volunteer.user_id
        else SignerRole.LEGAL
        if legal_services.is_advisor(user) and user.role == "legal_advisor"
        else ""
    )
    rendered = version.rendered_text or services.agreement_render(version).text
    revise_form = None
    is_worker = services.is_worker(user)
    if is_worker and version.status != AgreementStatus.SUPERSEDED and match.status in OPEN_MATCH:
        revise_form = forms.ReviseForm(
            auto_id="rev_%s", initial={k: terms.get(k) for k in forms.ReviseForm.base_fields}
        )
    context = {
        "version": version,
        "match": match,
        "terms": terms,
        "text": rendered,
        "problems": services.agreement_check(version) if version.status == AgreementStatus.DRAFT else [],
        "signatures": version.signatures.select_related("signer"),
        "versions": match.agreements.order_by("-number"),
        "is_worker": is_worker,
        "my_role": my_role,
        "can_sign": version.status == AgreementStatus.FINAL and my_role and my_role not in signed_roles,
        "witness_form": forms.WitnessForm(auto_id="witness_%s")
        if is_worker and version.status == AgreementStatus.FINAL
        else None,
        "revise_form": revise_form,
        "review": legal_services.review_for(version),
    }
    return render(request, "homeshare/agreement_detail.html", context)


@login_required
@require_POST
def agreement_revise(request: HttpRequest, match_id: int) -> HttpResponse:
    user = _worker(request)
    match = selectors.match_get(user, match_id)
    current = services.current_version(match)
    if current is None:
        raise NotFound()
    form = forms.ReviseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "；".join(
                f"{form.fields[k].label}：{' '.join(str(m) for m in v)}"
                for k, v in form.errors.items()
                if k in form.fields
            ),
        )
        return redirect("homeshare:agreement_detail", version_id=current.pk)
    version = services.agreement_revise(
        actor=user, match_id=match.pk, changes=form.changes(current.terms), note=form.cleaned_data["note"]
    )
    messages.success(request, _("已生成第%(n)s版。") % {"n": version.number})
    return redirect("homeshare:agreement_detail", version_id=version.pk)


@login_required
@require_POST
def agreement_finalise(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _worker(request)
    try:
        services.agreement_finalise(actor=user, version_id=version_id)
    except DomainError as exc:
        problems = [m for ms in exc.fields.values() for m in ms]
        messages.error(request, " ".join([str(exc.message), *problems]))
    else:
        messages.success(request, _("已定稿，已送法律顾问审核，并通知双方签署。"))
    return redirect("homeshare:agreement_detail", version_id=version_id)


@login_required
@require_POST
def agreement_sign(request: HttpRequest, version_id: int) -> HttpResponse:
    user: Any = request.user
    witnessed = request.POST.get("witnessed") == "1"
    services.agreement_sign(
        actor=user,
        version_id=version_id,
        role=request.POST.get("role") or None,
        witnessed=witnessed,
        document_sha256=request.POST.get("document_sha256") or None,
    )
    messages.success(request, _("已签署。"))
    return redirect("homeshare:agreement_detail", version_id=version_id)


@login_required
def agreement_pdf(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.version_get(request.user, version_id)
    return documents.pdf_response(version)


# --- monitoring ---------------------------------------------------------------------------------------------


@login_required
def monitoring(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    context = {
        "overview": selectors.monitoring_overview(user),
        "visits": selectors.visits_due(user, days=14),
        "live": selectors.matches(user).filter(status__in=(MatchStatus.TRIAL, MatchStatus.ACTIVE)),
        "today": clock.today(),
    }
    return render(request, "homeshare/monitoring.html", context)


@login_required
def visit(request: HttpRequest, visit_id: int) -> HttpResponse:
    user = _worker(request)
    from shiguang.core.scoping import get_scoped
    from shiguang.homeshare.models import Visit

    item = get_scoped(
        Visit.objects.select_related("match__offer__elder", "match__application__volunteer"),
        user,
        pk=visit_id,
    )
    form = forms.VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record(actor=user, visit_id=item.pk, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已记录回访。"))
            return redirect("homeshare:match_detail", match_id=item.match_id)
    return render(request, "homeshare/visit.html", {"visit": item, "form": form})
