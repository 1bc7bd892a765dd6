"""Every write of the homeshare pilot.

Offers and applications move through the funnel; matches are proposed (never across a hard constraint), met,
accepted or declined; agreements are versioned, checked, finalised, reviewed and signed; a signed agreement
starts the trial and schedules the monitoring; help is logged, confirmed and posted to the time bank; matches
end (with a reason) and participants can be matched again.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.accounts.models import User
from shiguang.accounts.validators import normalize_id_number, validate_id_number, validate_phone
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.masking import mask_id_number, mask_phone
from shiguang.core.scoping import get_scoped, in_scope, is_worker
from shiguang.homeshare import agreements, features
from shiguang.homeshare.choices import (
    FORBIDDEN_HELP_LABELS,
    LIVE_MATCH,
    MANUAL_STAGES,
    OPEN_MATCH,
    STAGE_ORDER,
    AgreementStatus,
    BackgroundOutcome,
    CookingRule,
    Decision,
    DropoutReason,
    EndReason,
    GenderPref,
    HelpKind,
    HelpLogStatus,
    Included,
    Interest,
    MatchStatus,
    OfferConsent,
    ReferenceStatus,
    SignatureMethod,
    SignerRole,
    Stage,
    TaskKind,
    VisitKind,
    VisitorRule,
    VisitStatus,
    Wellbeing,
)
from shiguang.homeshare.models import (
    AgreementVersion,
    Application,
    HelpLog,
    Match,
    Meeting,
    MonitoringTask,
    Offer,
    Reference,
    Signature,
    StageEvent,
    Visit,
)
from shiguang.legal import services as legal_services
from shiguang.legal.choices import LEGAL_CENTRE, MediationCategory, MediationOutcome, ReviewStatus
from shiguang.people.choices import LANGUAGES, VolunteerKind
from shiguang.people.models import ElderProfile, VolunteerProfile
from shiguang.places.models import Community

log = logging.getLogger(__name__)

YOUTH_KINDS = (VolunteerKind.GRADUATE, VolunteerKind.TRAINEE_LAWYER, VolunteerKind.YOUNG_PROFESSIONAL)
LANGUAGE_IDS = {k for k, _label in LANGUAGES}
MIN_REFERENCES = 2
VISIT_GRACE_DAYS = 2
HELP_CHECK_GRACE_DAYS = 3
MONTHLY_VISIT_DAYS = 30


def aware(value: dt.datetime) -> dt.datetime:
    """Datetimes from forms and the API without a zone are Shanghai time."""
    return value.replace(tzinfo=clock.SHANGHAI) if value.tzinfo is None else value


def _locked(model: Any, actor: Any, pk: Any, *related: str) -> Any:
    """Fetch a row inside the actor's scope, then lock it (scoped() uses DISTINCT, which cannot be locked)."""
    obj = get_scoped(model.objects.all(), actor, pk=pk)
    qs = model.objects.select_for_update(of=("self",))
    if related:
        qs = qs.select_related(*related)
    return qs.get(pk=obj.pk)


# --- helpers ------------------------------------------------------------------------------------------------


def require_worker(actor: Any, obj: Any) -> None:
    if not is_worker(actor):
        raise Forbidden(_("只有社区工作人员可以执行此操作。"))
    if obj is not None and not in_scope(obj, actor):
        raise Forbidden(_("您只能处理本辖区的事项。"))


def coordinators(community: Community) -> list[User]:
    """Who gets the pilot's warnings for a community: its community workers (else its street staff)."""
    workers = list(
        User.objects.filter(role=Role.COMMUNITY_WORKER, community=community, is_active=True).order_by("id")
    )
    if workers:
        return workers
    return list(User.objects.filter(role=Role.STREET_STAFF, street_id=community.street_id, is_active=True))


def _notify(users: list[Any], template: str, data: dict[str, Any], link: str, key: str) -> None:
    from shiguang.notify.services import enqueue

    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        enqueue(recipient=user, template=template, data=data, link=link, dedupe_key=f"{key}:{user.pk}"[:120])


def _clean_list(values: Any, allowed: set[str], field: str, errors: dict[str, list[str]]) -> list[str]:
    values = list(dict.fromkeys(values or []))
    forbidden = [v for v in values if v in FORBIDDEN_HELP_LABELS]
    if forbidden:
        errors[field] = [
            _("同住青年不提供%(what)s，请联系社区或专业护理机构。")
            % {"what": "、".join(str(FORBIDDEN_HELP_LABELS[v]) for v in forbidden)}
        ]
        return values
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors[field] = [_("无法识别：%(v)s。") % {"v": "、".join(map(str, unknown))}]
    return values


def _set_stage(
    participant: Offer | Application,
    stage: str,
    *,
    actor: Any,
    note: str = "",
    reason: str = "",
) -> None:
    participant.stage = stage
    participant.stage_changed_at = clock.now()
    participant.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    StageEvent.objects.create(
        community=participant.community,
        offer=participant if isinstance(participant, Offer) else None,
        application=participant if isinstance(participant, Application) else None,
        stage=stage,
        dropout_reason=reason,
        actor=actor,
        note=note[:300],
    )


# --- offers -------------------------------------------------------------------------------------------------

OFFER_FIELDS = (
    "room_size_m2",
    "floor",
    "has_lift",
    "rent_yuan",
    "included",
    "room_note",
    "smoking_allowed",
    "elder_smokes",
    "pets_allowed",
    "elder_has_pets",
    "visitors",
    "quiet_from",
    "quiet_to",
    "cooking",
    "rules_note",
    "help_kinds",
    "help_hours_per_week",
    "evenings_wanted",
    "languages",
    "interests",
    "pref_gender",
    "age_min",
    "age_max",
)


def validate_offer(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean = dict(data)
    try:
        size = Decimal(str(data.get("room_size_m2")))
        if not Decimal("5") <= size <= Decimal("200"):
            errors["room_size_m2"] = [_("房间面积应在5到200平方米之间。")]
        clean["room_size_m2"] = size.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        errors["room_size_m2"] = [_("请填写房间面积（平方米）。")]
    floor = data.get("floor")
    if not isinstance(floor, int) or not -3 <= floor <= 100:
        errors["floor"] = [_("请填写楼层。")]
    rent = data.get("rent_yuan", 0)
    if not isinstance(rent, int) or not 0 <= rent <= 10000:
        errors["rent_yuan"] = [_("月租金应在0到10000元之间（免租填0）。")]
    clean["included"] = _clean_list(data.get("included"), set(Included.values), "included", errors)
    if data.get("visitors") not in VisitorRule.values:
        errors["visitors"] = [_("请选择访客规则。")]
    if data.get("cooking") not in CookingRule.values:
        errors["cooking"] = [_("请选择做饭规则。")]
    for key in ("quiet_from", "quiet_to"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                clean[key] = dt.time.fromisoformat(value)
            except ValueError:
                errors[key] = [_("时间格式应为 HH:MM。")]
        elif not isinstance(value, dt.time):
            errors[key] = [_("时间格式应为 HH:MM。")]
    clean["help_kinds"] = _clean_list(data.get("help_kinds"), set(HelpKind.values), "help_kinds", errors)
    if not clean["help_kinds"] and "help_kinds" not in errors:
        errors["help_kinds"] = [_("请至少选择一项希望得到的帮助。")]
    hours = data.get("help_hours_per_week")
    if not isinstance(hours, int) or not 1 <= hours <= agreements.HELP_HOURS_CAP:
        errors["help_hours_per_week"] = [
            _("每周帮助时长应在1到%(cap)s小时之间：同住青年是陪伴者，不是护工。")
            % {"cap": agreements.HELP_HOURS_CAP}
        ]
    evenings = data.get("evenings_wanted", 0)
    if not isinstance(evenings, int) or not 0 <= evenings <= 7:
        errors["evenings_wanted"] = [_("每周晚上数应在0到7之间。")]
    clean["languages"] = _clean_list(data.get("languages"), LANGUAGE_IDS, "languages", errors)
    if not clean["languages"] and "languages" not in errors:
        errors["languages"] = [_("请至少选择一种语言。")]
    clean["interests"] = _clean_list(data.get("interests"), set(Interest.values), "interests", errors)
    if data.get("pref_gender") not in GenderPref.values:
        errors["pref_gender"] = [_("请选择性别偏好。")]
    age_min, age_max = data.get("age_min"), data.get("age_max")
    if not isinstance(age_min, int) or not isinstance(age_max, int) or not 16 <= age_min <= age_max <= 80:
        errors["age_max"] = [_("年龄范围不合理（下限不能高于上限）。")]
    for key in ("has_lift", "smoking_allowed", "elder_smokes", "pets_allowed", "elder_has_pets"):
        clean[key] = bool(data.get(key, False))
    for key in ("room_note", "rules_note"):
        clean[key] = str(data.get(key) or "").strip()[:300]
    return clean, errors


@transaction.atomic
def offer_create(*, actor: User, elder: ElderProfile, stage: str = Stage.INTERESTED, **data: Any) -> Offer:
    """A worker records an elder's offer (after outreach); the elder can see it on their page."""
    require_worker(actor, elder)
    clean, errors = validate_offer(
        {k: data.get(k) for k in OFFER_FIELDS if k in data} | _offer_defaults(data)
    )
    if stage not in MANUAL_STAGES:
        errors["stage"] = [_("新登记的房源只能处于宣传、有意愿或已筛选阶段。")]
    if Offer.objects.filter(elder=elder, dropped_at__isnull=True).exclude(stage=Stage.ENDED).exists():
        raise Conflict(_("该长者已有一份进行中的房源登记。"))
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                elder=elder,
                community=elder.community,
                created_by=actor,
                stage=stage,
                is_demo=elder.is_demo,
                **{k: clean[k] for k in OFFER_FIELDS},
            )
    except IntegrityError:
        raise Conflict(_("该长者已有一份进行中的房源登记。")) from None
    StageEvent.objects.create(community=offer.community, offer=offer, stage=stage, actor=actor)
    audit.record(
        "homeshare.offer.created", actor=actor, on_behalf_of=elder.user, target=offer, data={"stage": stage}
    )
    return offer


def _offer_defaults(data: dict[str, Any]) -> dict[str, Any]:
    defaults = {
        "has_lift": False,
        "rent_yuan": 0,
        "included": [],
        "visitors": VisitorRule.DAYTIME,
        "quiet_from": dt.time(22, 0),
        "quiet_to": dt.time(7, 0),
        "cooking": CookingRule.SHARED,
        "evenings_wanted": 3,
        "interests": [],
        "pref_gender": GenderPref.ANY,
        "age_min": 20,
        "age_max": 35,
    }
    return {k: v for k, v in defaults.items() if k not in data or data[k] is None}


@transaction.atomic
def offer_update(*, actor: User, offer_id: int, changes: dict[str, Any]) -> Offer:
    offer = _locked(Offer, actor, offer_id)
    require_worker(actor, offer)
    unknown = set(changes) - set(OFFER_FIELDS)
    if unknown:
        raise ValidationFailed(fields={k: [_("该字段不可修改。")] for k in unknown})
    if offer.matches.filter(status__in=OPEN_MATCH).exists():
        raise Conflict(_("房源已有进行中的配对，修改请通过协议新版本。"))
    merged = {k: getattr(offer, k) for k in OFFER_FIELDS} | changes
    clean, errors = validate_offer(merged)
    if errors:
        raise ValidationFailed(fields=errors)
    for key in changes:
        setattr(offer, key, clean[key])
    offer.save()
    audit.record("homeshare.offer.updated", actor=actor, target=offer, data={"fields": sorted(changes)})
    return offer


@transaction.atomic
def offer_consent(*, actor: User, offer_id: int, key: str, method: str = "online") -> Offer:
    """The elder consents (online), or a worker records a paper/verbal consent for the elder."""
    offer = _locked(Offer, actor, offer_id, "elder")
    if key not in OfferConsent.values:
        raise ValidationFailed(fields={"key": [_("未知的同意事项。")]})
    own = actor.pk == offer.elder.user_id
    if not own:
        require_worker(actor, offer)
        if method not in ("paper", "verbal", "phone"):
            raise ValidationFailed(fields={"method": [_("代为记录时请选择纸质、口头或电话方式。")]})
    else:
        method = "online"
    consents = dict(offer.consents)
    consents[key] = {"at": clock.now().isoformat(), "method": method, "by": actor.pk}
    offer.consents = consents
    offer.save(update_fields=["consents", "updated_at"])
    audit.record(
        "homeshare.offer.consented",
        actor=actor,
        on_behalf_of=None if own else offer.elder.user,
        target=offer,
        data={"key": key, "method": method},
    )
    return offer


# --- applications -------------------------------------------------------------------------------------------

APPLICATION_FIELDS = (
    "workplace",
    "work_lat",
    "work_lng",
    "budget_yuan",
    "schedule",
    "evenings_home",
    "help_kinds",
    "help_hours_per_week",
    "skills_note",
    "smoker",
    "has_pets",
    "accepts_pets",
    "accepts_smoke",
    "languages",
    "interests",
    "motivation",
)


def validate_application(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean = dict(data)
    if not str(data.get("workplace") or "").strip():
        errors["workplace"] = [_("请填写工作或学习单位。")]
    lat, lng = data.get("work_lat"), data.get("work_lng")
    if not isinstance(lat, int | float) or not 21 <= lat <= 24:
        errors["work_lat"] = [_("单位位置不在深圳范围内，请在地图上选择或填写坐标。")]
    if not isinstance(lng, int | float) or not 112 <= lng <= 116:
        errors["work_lng"] = [_("单位位置不在深圳范围内，请在地图上选择或填写坐标。")]
    budget = data.get("budget_yuan", 0)
    if not isinstance(budget, int) or not 0 <= budget <= 20000:
        errors["budget_yuan"] = [_("可承担月租应在0到20000元之间。")]
    if not str(data.get("schedule") or "").strip():
        errors["schedule"] = [_("请简单说明作息与工作时间。")]
    evenings = data.get("evenings_home", 0)
    if not isinstance(evenings, int) or not 0 <= evenings <= 7:
        errors["evenings_home"] = [_("每周晚上数应在0到7之间。")]
    clean["help_kinds"] = _clean_list(data.get("help_kinds"), set(HelpKind.values), "help_kinds", errors)
    if not clean["help_kinds"] and "help_kinds" not in errors:
        errors["help_kinds"] = [_("请至少选择一项可提供的帮助。")]
    hours = data.get("help_hours_per_week")
    if not isinstance(hours, int) or not 1 <= hours <= 40:
        errors["help_hours_per_week"] = [_("每周可提供时长应在1到40小时之间。")]
    clean["languages"] = _clean_list(data.get("languages"), LANGUAGE_IDS, "languages", errors)
    if not clean["languages"] and "languages" not in errors:
        errors["languages"] = [_("请至少选择一种语言。")]
    clean["interests"] = _clean_list(data.get("interests"), set(Interest.values), "interests", errors)
    if len(str(data.get("motivation") or "").strip()) < 10:
        errors["motivation"] = [_("请写几句申请动机（至少10个字）。")]
    for key in ("smoker", "has_pets", "accepts_pets", "accepts_smoke"):
        clean[key] = bool(data.get(key, False))
    for key in ("workplace", "schedule", "skills_note", "motivation"):
        clean[key] = str(data.get(key) or "").strip()
    return clean, errors


@transaction.atomic
def application_create(
    *, actor: User, volunteer: VolunteerProfile, id_number: str = "", **data: Any
) -> Application:
    """A youth applies (or a worker records the application for them)."""
    own = actor.pk == volunteer.user_id
    if not own:
        require_worker(actor, volunteer)
    if volunteer.kind not in YOUTH_KINDS:
        raise ValidationFailed(
            fields={"volunteer": [_("同住青年须为应届毕业生、实习律师或职场青年。")]},
        )
    clean, errors = validate_application({k: data.get(k) for k in APPLICATION_FIELDS})
    if id_number:
        try:
            validate_id_number(id_number)
        except Exception as exc:
            errors["id_number"] = [str(m) for m in getattr(exc, "messages", [exc])]
    if (
        Application.objects.filter(volunteer=volunteer, dropped_at__isnull=True)
        .exclude(stage=Stage.ENDED)
        .exists()
    ):
        raise Conflict(_("您已有一份进行中的申请。"))
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            app = Application.objects.create(
                volunteer=volunteer,
                community=volunteer.community,
                created_by=actor,
                stage=Stage.INTERESTED,
                id_number=normalize_id_number(id_number) if id_number else "",
                is_demo=volunteer.is_demo,
                **{k: clean[k] for k in APPLICATION_FIELDS},
            )
    except IntegrityError:
        raise Conflict(_("您已有一份进行中的申请。")) from None
    StageEvent.objects.create(community=app.community, application=app, stage=Stage.INTERESTED, actor=actor)
    audit.record("homeshare.application.created", actor=actor, target=app, data={"self": own})
    _notify(
        coordinators(app.community),
        "homeshare.application.created",
        {"name": volunteer.name},
        f"/homeshare/applications/{app.pk}/",
        f"homeshare:app:{app.pk}:new",
    )
    return app


@transaction.atomic
def application_update(*, actor: User, application_id: int, changes: dict[str, Any]) -> Application:
    app = _locked(Application, actor, application_id, "volunteer")
    if actor.pk != app.volunteer.user_id:
        require_worker(actor, app)
    unknown = set(changes) - set(APPLICATION_FIELDS) - {"id_number"}
    if unknown:
        raise ValidationFailed(fields={k: [_("该字段不可修改。")] for k in unknown})
    if app.matches.filter(status__in=OPEN_MATCH).exists():
        raise Conflict(_("申请已有进行中的配对，暂不能修改。"))
    merged = {k: getattr(app, k) for k in APPLICATION_FIELDS} | {
        k: v for k, v in changes.items() if k != "id_number"
    }
    clean, errors = validate_application(merged)
    new_id = changes.get("id_number")
    if new_id:
        try:
            validate_id_number(new_id)
        except Exception as exc:
            errors["id_number"] = [str(m) for m in getattr(exc, "messages", [exc])]
    if errors:
        raise ValidationFailed(fields=errors)
    for key in changes:
        if key == "id_number":
            if new_id and normalize_id_number(new_id) != app.id_number:
                app.id_number = normalize_id_number(new_id)
                app.id_verified_at = None  # a changed ID must be checked again
                app.id_verified_by = None
        else:
            setattr(app, key, clean[key])
    app.save()
    audit.record("homeshare.application.updated", actor=actor, target=app, data={"fields": sorted(changes)})
    return app


@transaction.atomic
def reference_add(
    *, actor: User, application_id: int, name: str, relation: str, phone: str, organisation: str = ""
) -> Reference:
    app = get_scoped(Application.objects.select_related("volunteer"), actor, pk=application_id)
    if actor.pk != app.volunteer.user_id:
        require_worker(actor, app)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写推荐人姓名。")]
    if not relation.strip():
        errors["relation"] = [_("请填写与推荐人的关系。")]
    try:
        validate_phone(phone)
    except Exception as exc:
        errors["phone"] = [str(m) for m in getattr(exc, "messages", [exc])]
    if errors:
        raise ValidationFailed(fields=errors)
    ref = Reference.objects.create(
        application=app,
        name=name.strip()[:60],
        relation=relation.strip()[:60],
        organisation=organisation.strip()[:100],
        phone=phone.strip(),
    )
    audit.record("homeshare.reference.added", actor=actor, target=ref, data={"application": app.pk})
    return ref


@transaction.atomic
def reference_check(*, actor: User, reference_id: int, status: str, note: str = "") -> Reference:
    ref = _locked(Reference, actor, reference_id)
    require_worker(actor, ref.application)
    if status not in (ReferenceStatus.POSITIVE, ReferenceStatus.CONCERNS):
        raise ValidationFailed(fields={"status": [_("请选择核实结果。")]})
    ref.status = status
    ref.note = note.strip()[:300]
    ref.checked_by = actor
    ref.checked_at = clock.now()
    ref.save()
    audit.record("homeshare.reference.checked", actor=actor, target=ref, data={"status": status})
    return ref


@transaction.atomic
def background_record(
    *,
    actor: User,
    application_id: int,
    outcome: str,
    checked_on: dt.date,
    id_verified: bool,
    note: str = "",
) -> Application:
    """A worker records the outcome of the ID and background check done outside the platform."""
    app = _locked(Application, actor, application_id)
    require_worker(actor, app)
    errors: dict[str, list[str]] = {}
    if outcome not in BackgroundOutcome.values or outcome == BackgroundOutcome.PENDING:
        errors["outcome"] = [_("请选择核查结果。")]
    if checked_on > clock.today():
        errors["checked_on"] = [_("核查日期不能晚于今天。")]
    if id_verified and not app.id_number:
        errors["id_verified"] = [_("申请中没有身份证号，无法记录核验。")]
    if outcome in (BackgroundOutcome.CONCERNS, BackgroundOutcome.FAILED) and len(note.strip()) < 4:
        errors["note"] = [_("请简要说明核查发现的问题。")]
    if errors:
        raise ValidationFailed(fields=errors)
    app.background_outcome = outcome
    app.background_checked_on = checked_on
    app.background_recorded_by = actor
    app.background_note = note.strip()[:300]
    if id_verified:
        app.id_verified_at = clock.now()
        app.id_verified_by = actor
    app.save()
    audit.record(
        "homeshare.application.background_recorded",
        actor=actor,
        target=app,
        data={"outcome": outcome, "checked_on": checked_on.isoformat(), "id_verified": id_verified},
    )
    return app


# --- the funnel ---------------------------------------------------------------------------------------------


def _participant(actor: User, kind: str, pk: int) -> Offer | Application:
    model: Any = Offer if kind == "offer" else Application if kind == "application" else None
    if model is None:
        raise NotFound()
    return _locked(model, actor, pk)


def vetting_problems(participant: Offer | Application) -> list[str]:
    """What still stops a participant from being vetted (empty when ready)."""
    problems = []
    if isinstance(participant, Offer):
        missing = [str(OfferConsent(k).label) for k in OfferConsent.values if k not in participant.consents]
        if missing:
            problems.append(_("缺少长者同意：%(m)s") % {"m": "；".join(missing)})
        if not participant.elder.address:
            problems.append(_("长者资料中缺少住址。"))
    else:
        refs = list(participant.references.all())
        if len(refs) < MIN_REFERENCES:
            problems.append(
                _("至少需要%(n)s位推荐人（现有%(k)s位）。") % {"n": MIN_REFERENCES, "k": len(refs)}
            )
        positive = sum(1 for r in refs if r.status == ReferenceStatus.POSITIVE)
        if positive < MIN_REFERENCES:
            problems.append(_("至少%(n)s位推荐人需核实为评价良好。") % {"n": MIN_REFERENCES})
        if any(r.status == ReferenceStatus.CONCERNS for r in refs):
            problems.append(_("有推荐人表达了顾虑，请先复核。"))
        if not participant.id_number or participant.id_verified_at is None:
            problems.append(_("身份证尚未核验。"))
        if participant.background_outcome != BackgroundOutcome.CLEAR:
            problems.append(_("背景核查结果不是“无不良记录”。"))
        if participant.volunteer.kind not in YOUTH_KINDS:
            problems.append(_("同住青年须为应届毕业生、实习律师或职场青年。"))
    return problems


@transaction.atomic
def stage_advance(*, actor: User, kind: str, pk: int, stage: str, note: str = "") -> Offer | Application:
    """Move a participant forward through outreach → interested → screened → vetted (vetting is checked)."""
    participant = _participant(actor, kind, pk)
    require_worker(actor, participant)
    if participant.dropped_at is not None:
        raise Conflict(_("该对象已退出，如需恢复请重新登记。"))
    allowed = (*MANUAL_STAGES, Stage.VETTED)
    if stage not in allowed:
        raise ValidationFailed(fields={"stage": [_("配对、试住、同住和结束由配对流程自动记录。")]})
    if STAGE_ORDER[stage] <= STAGE_ORDER[participant.stage]:
        raise Conflict(_("只能向后推进阶段。"))
    if STAGE_ORDER[participant.stage] > STAGE_ORDER[Stage.VETTED]:
        raise Conflict(_("已进入配对流程，阶段由配对自动记录。"))
    if stage == Stage.VETTED:
        problems = vetting_problems(participant)
        if problems:
            raise ValidationFailed(_("还不能通过审核："), fields={"__all__": problems})
    _set_stage(participant, stage, actor=actor, note=note)
    audit.record(f"homeshare.{kind}.stage", actor=actor, target=participant, data={"stage": stage})
    return participant


@transaction.atomic
def dropout(*, actor: User, kind: str, pk: int, reason: str, note: str = "") -> Offer | Application:
    participant = _participant(actor, kind, pk)
    owner_id = participant.elder.user_id if isinstance(participant, Offer) else participant.volunteer.user_id
    if actor.pk != owner_id:
        require_worker(actor, participant)
    if reason not in DropoutReason.values:
        raise ValidationFailed(fields={"reason": [_("请选择退出原因。")]})
    if participant.dropped_at is not None:
        raise Conflict(_("已记录退出。"))
    if participant.matches.filter(status__in=OPEN_MATCH).exists():
        raise Conflict(_("有进行中的配对，请先结束或取消配对。"))
    participant.dropped_at = clock.now()
    participant.dropout_reason = reason
    participant.dropout_note = note.strip()[:300]
    participant.save(update_fields=["dropped_at", "dropout_reason", "dropout_note", "updated_at"])
    StageEvent.objects.create(
        community=participant.community,
        offer=participant if isinstance(participant, Offer) else None,
        application=participant if isinstance(participant, Application) else None,
        stage=participant.stage,
        dropout_reason=reason,
        actor=actor,
        note=note[:300],
    )
    audit.record(f"homeshare.{kind}.dropped", actor=actor, target=participant, data={"reason": reason})
    return participant


# --- matching -----------------------------------------------------------------------------------------------


def _free(participant: Offer | Application) -> bool:
    return (
        participant.dropped_at is None
        and participant.stage == Stage.VETTED
        and not participant.matches.filter(status__in=OPEN_MATCH).exists()
    )


@transaction.atomic
def match_propose(*, actor: User, offer_id: int, application_id: int, note: str = "") -> Match:
    """The coordinator proposes a pair. A pair breaking a hard constraint is refused; nothing is written."""
    offer = _locked(Offer, actor, offer_id, "elder", "community")
    require_worker(actor, offer)
    app = _locked(Application, actor, application_id, "volunteer")
    for participant, label in ((offer, _("房源")), (app, _("青年申请"))):
        if participant.dropped_at is not None or participant.stage != Stage.VETTED:
            raise Conflict(_("%(what)s还未通过审核，或已在配对流程中。") % {"what": label})
    if offer.matches.filter(status__in=OPEN_MATCH).exists():
        raise Conflict(_("该房间已有进行中的配对。"))
    if app.matches.filter(status__in=OPEN_MATCH).exists():
        raise Conflict(_("该青年已有进行中的配对。"))
    result = features.explain(offer, app)
    if not result["feasible"]:
        details = [f"{h['label']}：{h['detail']}" for h in result["hard"] if not h["ok"]]
        raise ValidationFailed(
            _("这对配对违反了硬性条件，不能推荐：%(v)s。") % {"v": "、".join(result["violations"])},
            fields={"__all__": details},
            code="hard_constraint",
        )
    try:
        with transaction.atomic():
            match = Match.objects.create(
                community=offer.community,
                offer=offer,
                application=app,
                score=result["score"],
                explanation=result,
                proposed_by=actor,
                proposal_note=note.strip()[:300],
            )
    except IntegrityError:
        raise Conflict(_("该房间或该青年已有进行中的配对。")) from None
    audit.record(
        "homeshare.match.proposed",
        actor=actor,
        target=match,
        data={"offer": offer.pk, "application": app.pk, "score": result["score"]},
    )
    _notify(
        [offer.elder.user, app.volunteer.user],
        "homeshare.match.proposed",
        {"elder": offer.elder.name, "youth": app.volunteer.name},
        f"/homeshare/matches/{match.pk}/",
        f"homeshare:match:{match.pk}:proposed",
    )
    return match


@transaction.atomic
def match_propose_many(*, actor: User, pairs: list[tuple[int, int]]) -> list[Match]:
    """Propose every pair of a computed assignment, all or nothing."""
    if not pairs:
        raise ValidationFailed(fields={"pairs": [_("没有可推荐的配对。")]})
    if len({o for o, _a in pairs}) != len(pairs) or len({a for _o, a in pairs}) != len(pairs):
        raise ValidationFailed(fields={"pairs": [_("同一房间或同一青年不能出现在两对配对中。")]})
    return [match_propose(actor=actor, offer_id=o, application_id=a) for o, a in pairs]


def _match_for_update(actor: User, match_id: int) -> Match:
    return _locked(
        Match, actor, match_id, "offer__elder__user", "application__volunteer__user", "community__street"
    )


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    match_id: int,
    held_at: dt.datetime,
    place: str,
    notes: str = "",
    elder_feedback: str = "",
    youth_feedback: str = "",
) -> Meeting:
    match = _match_for_update(actor, match_id)
    require_worker(actor, match)
    if match.status != MatchStatus.PROPOSED:
        raise Conflict(_("只有待见面的配对可以记录见面。"))
    held_at = aware(held_at)
    errors: dict[str, list[str]] = {}
    if not place.strip():
        errors["place"] = [_("请填写见面地点。")]
    if held_at > clock.now() + dt.timedelta(days=60):
        errors["held_at"] = [_("见面时间不合理。")]
    if errors:
        raise ValidationFailed(fields=errors)
    meeting = Meeting.objects.create(
        match=match,
        held_at=held_at,
        place=place.strip()[:100],
        notes=notes.strip(),
        elder_feedback=elder_feedback.strip()[:300],
        youth_feedback=youth_feedback.strip()[:300],
        recorded_by=actor,
    )
    audit.record("homeshare.meeting.recorded", actor=actor, target=meeting, data={"match": match.pk})
    return meeting


def _side_of(actor: User, match: Match, side: str | None) -> tuple[str, bool]:
    """Which side `actor` speaks for, and whether it is for themself."""
    if actor.pk == match.offer.elder.user_id:
        return "elder", True
    if actor.pk == match.application.volunteer.user_id:
        return "youth", True
    require_worker(actor, match)
    if side not in ("elder", "youth"):
        raise ValidationFailed(fields={"side": [_("请选择代哪一方表态。")]})
    return side, False


@transaction.atomic
def match_decide(
    *, actor: User, match_id: int, accept: bool, side: str | None = None, note: str = ""
) -> Match:
    """After meeting, each side accepts or declines. Both accept → the agreement's version 1 is generated."""
    match = _match_for_update(actor, match_id)
    side, own = _side_of(actor, match, side)
    if match.status != MatchStatus.PROPOSED:
        raise Conflict(_("该配对已不在待表态状态。"))
    if not match.meetings.exists():
        raise Conflict(_("双方见面并记录见面情况后，才能表态。"))
    decision = Decision.ACCEPT if accept else Decision.DECLINE
    now = clock.now()
    if side == "elder":
        match.elder_decision, match.elder_decided_at = decision, now
    else:
        match.youth_decision, match.youth_decided_at = decision, now
    if note:
        match.decision_note = note.strip()[:300]
    if not accept:
        match.status = MatchStatus.DECLINED
    elif match.elder_decision == Decision.ACCEPT and match.youth_decision == Decision.ACCEPT:
        match.status = MatchStatus.ACCEPTED
    match.save()
    on_behalf = (
        None if own else (match.offer.elder.user if side == "elder" else match.application.volunteer.user)
    )
    audit.record(
        "homeshare.match.decided",
        actor=actor,
        on_behalf_of=on_behalf,
        target=match,
        data={"side": side, "accept": accept, "status": match.status},
    )
    link = f"/homeshare/matches/{match.pk}/"
    if match.status == MatchStatus.ACCEPTED:
        for participant in (match.offer, match.application):
            _set_stage(participant, Stage.MATCHED, actor=actor)
        agreement_generate(actor=actor, match=match)
        _notify(
            [*coordinators(match.community), match.offer.elder.user, match.application.volunteer.user],
            "homeshare.match.accepted",
            {"elder": match.offer.elder.name, "youth": match.application.volunteer.name},
            link,
            f"homeshare:match:{match.pk}:accepted",
        )
    elif match.status == MatchStatus.DECLINED:
        _notify(
            coordinators(match.community),
            "homeshare.match.declined",
            {"elder": match.offer.elder.name, "youth": match.application.volunteer.name},
            link,
            f"homeshare:match:{match.pk}:declined",
        )
    return match


@transaction.atomic
def match_cancel(*, actor: User, match_id: int, note: str) -> Match:
    match = _match_for_update(actor, match_id)
    require_worker(actor, match)
    if match.status not in (MatchStatus.PROPOSED, MatchStatus.ACCEPTED):
        raise Conflict(_("入住后请使用“结束同住”。"))
    if len(note.strip()) < 2:
        raise ValidationFailed(fields={"note": [_("请说明取消原因。")]})
    was_accepted = match.status == MatchStatus.ACCEPTED
    match.status = MatchStatus.CANCELLED
    match.decision_note = note.strip()[:300]
    match.save()
    if was_accepted:
        for participant in (match.offer, match.application):
            _set_stage(participant, Stage.VETTED, actor=actor, note=_("配对取消，重新等待配对"))
        for version in match.agreements.exclude(status=AgreementStatus.SUPERSEDED):
            legal_services.review_withdraw_for(actor=actor, subject=version, reason=_("配对已取消"))
    audit.record("homeshare.match.cancelled", actor=actor, target=match, data={"note": note[:200]})
    return match


# --- agreements ---------------------------------------------------------------------------------------------


def _current_clauses() -> list[Any]:
    from shiguang.legal.selectors import current_clauses

    return list(current_clauses(agreements.DOMAIN))


def default_terms(match: Match) -> dict[str, Any]:
    offer, app = match.offer, match.application
    elder, youth = offer.elder, app.volunteer
    contacts = [
        f"{c.name}（{c.get_relation_display()}）{mask_phone(c.phone)}"
        for c in elder.emergency_contacts.all()[:3]
    ]
    included = [str(Included(k).label) for k in offer.included if k in Included.values]
    rules = [
        _("安静时段%(a)s至%(b)s")
        % {"a": offer.quiet_from.strftime("%H:%M"), "b": offer.quiet_to.strftime("%H:%M")},
        _("室内允许吸烟") if offer.smoking_allowed else _("室内禁止吸烟"),
        _("可带宠物") if offer.pets_allowed else _("不带宠物入住"),
        str(CookingRule(offer.cooking).label),
    ]
    if offer.rules_note:
        rules.append(offer.rules_note)
    room = _("约%(size)s平方米，%(floor)s楼，%(lift)s") % {
        "size": offer.room_size_m2,
        "floor": offer.floor,
        "lift": _("有电梯") if offer.has_lift else _("无电梯"),
    }
    start = clock.today() + dt.timedelta(days=7)
    return {
        "elder_name": elder.name,
        "elder_id_masked": mask_id_number(elder.id_number) if elder.id_number else "",
        "youth_name": youth.name,
        "youth_id_masked": mask_id_number(app.id_number) if app.id_number else "",
        "address": elder.address,
        "room": room,
        "start_date": start.isoformat(),
        "term_months": 12,
        "trial_months": agreements.DEFAULT_TRIAL_MONTHS,
        "help_hours_per_week": offer.help_hours_per_week,
        "help_kinds": list(offer.help_kinds),
        "rent_yuan": offer.rent_yuan,
        "youth_budget_yuan": app.budget_yuan,
        "youth_hours_offered": app.help_hours_per_week,
        "costs": (
            _("以下费用已含在内，由甲方承担：%(items)s。") % {"items": "、".join(included)}
            if included
            else _("水电燃气费用由双方按实际使用协商分担。")
        )
        + _("乙方个人通讯、交通等费用自理。"),
        "house_rules": "；".join(rules) + "。",
        "privacy": str(agreements.DEFAULT_PRIVACY),
        "visitors": str(VisitorRule(offer.visitors).label) + "。",
        "leave_notice_days": 3,
        "max_absence_days": 14,
        "emergency_contacts": "；".join(contacts),
        "insurance": str(agreements.DEFAULT_INSURANCE),
        "notice_days": 30,
        "gross_misconduct_immediate": True,
        "mediator": str(LEGAL_CENTRE),
    }


def agreement_number(match: Match) -> str:
    return f"FT-XFTX-{match.created_at:%Y}-{match.pk:05d}"


def current_version(match: Match) -> AgreementVersion | None:
    return match.agreements.exclude(status=AgreementStatus.SUPERSEDED).order_by("-number").first()


@transaction.atomic
def install_default_clauses() -> int:
    """Install the legal centre's starting clause set when the library has no homeshare clause at all (a new
    or flushed database); legal advisors then maintain them. Returns how many were written."""
    from shiguang.legal.models import Clause

    if Clause.objects.filter(domain=agreements.DOMAIN).exists():
        return 0
    for position, (key, element, title, text) in enumerate(agreements.DEFAULT_CLAUSES, start=1):
        Clause.objects.create(
            domain=agreements.DOMAIN,
            key=key,
            version=1,
            position=position * 10,
            element=element,
            title=title,
            text=text,
            change_note=_("初始条款（仁和长者法律服务中心研制的核心要件）"),
        )
    audit.record("homeshare.clauses.installed", data={"count": len(agreements.DEFAULT_CLAUSES)})
    return len(agreements.DEFAULT_CLAUSES)


@transaction.atomic
def agreement_generate(*, actor: User, match: Match) -> AgreementVersion:
    """Version 1 of the agreement, filled from the offer, the application and the profiles."""
    if match.agreements.exists():
        raise Conflict(_("该配对已有协议。"))
    install_default_clauses()
    version = AgreementVersion(match=match, number=1, created_by=actor, change_note=_("根据配对自动生成"))
    version.set_terms(default_terms(match))
    version.save()
    audit.record("homeshare.agreement.generated", actor=actor, target=version, data={"match": match.pk})
    return version


@transaction.atomic
def agreement_revise(*, actor: User, match_id: int, changes: dict[str, Any], note: str) -> AgreementVersion:
    """A change always makes a new version; the previous one is kept as superseded (its signatures too)."""
    match = _match_for_update(actor, match_id)
    if not (is_worker(actor) and in_scope(match, actor)) and not legal_services.is_advisor(actor):
        raise Forbidden(_("只有社区工作人员或法律顾问可以修改协议。"))
    if match.status not in (MatchStatus.ACCEPTED, MatchStatus.TRIAL, MatchStatus.ACTIVE):
        raise Conflict(_("该配对当前不能修改协议。"))
    unknown = set(changes) - set(agreements.EDITABLE)
    if unknown:
        raise ValidationFailed(fields={k: [_("该项不可在协议中修改。")] for k in unknown})
    if not changes:
        raise ValidationFailed(fields={"__all__": [_("没有修改任何内容。")]})
    if len(note.strip()) < 2:
        raise ValidationFailed(fields={"note": [_("请填写修改说明。")]})
    current = current_version(match)
    previous = (
        AgreementVersion.objects.select_for_update().filter(pk=current.pk).first()
        if current is not None
        else None
    )
    if previous is None:
        raise Conflict(_("该配对还没有协议。"))
    terms = previous.terms
    errors: dict[str, list[str]] = {}
    for key, value in changes.items():
        if key in (
            "term_months",
            "trial_months",
            "help_hours_per_week",
            "rent_yuan",
            "leave_notice_days",
            "max_absence_days",
            "notice_days",
        ) and (isinstance(value, bool) or not isinstance(value, int)):
            errors[key] = [_("请填写整数。")]
            continue
        if key == "start_date":
            try:
                value = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[key] = [_("日期格式应为 YYYY-MM-DD。")]
                continue
        if key == "help_kinds":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[key] = [_("请选择帮助内容。")]
                continue
            forbidden = [v for v in value if v in FORBIDDEN_HELP_LABELS]
            if forbidden:
                errors[key] = [
                    _("同住青年不提供%(what)s，不能写入协议。")
                    % {"what": "、".join(str(FORBIDDEN_HELP_LABELS[v]) for v in forbidden)}
                ]
                continue
        if isinstance(value, str):
            value = value.strip()
        terms[key] = value
    if errors:
        raise ValidationFailed(fields=errors)
    previous.status = AgreementStatus.SUPERSEDED
    previous.save(update_fields=["status", "updated_at"])
    legal_services.review_withdraw_for(actor=actor, subject=previous, reason=_("已被新版本替代"))
    version = AgreementVersion(
        match=match,
        number=previous.number + 1,
        created_by=actor,
        supersedes=previous,
        change_note=note.strip()[:300],
    )
    version.set_terms(terms)
    version.save()
    audit.record(
        "homeshare.agreement.revised",
        actor=actor,
        target=version,
        data={"match": match.pk, "number": version.number, "fields": sorted(changes)},
    )
    return version


def agreement_check(version: AgreementVersion) -> list[agreements.Problem]:
    elements = {c.element for c in _current_clauses() if c.element}
    return agreements.check(version.terms, clause_elements=elements, today=clock.today())


def agreement_render(version: AgreementVersion) -> agreements.Rendered:
    return agreements.render(
        version.terms,
        _current_clauses(),
        agreement_no=agreement_number(version.match),
        version=version.number,
        legal_centre=str(LEGAL_CENTRE),
    )


@transaction.atomic
def agreement_finalise(*, actor: User, version_id: int) -> AgreementVersion:
    """Run the checker; with no problems, fix the text and its SHA-256 and queue it for legal review."""
    version = _locked(AgreementVersion, actor, version_id, "match")
    require_worker(actor, version.match)
    if version.status == AgreementStatus.SUPERSEDED:
        raise Conflict(_("该版本已被新版本替代，请在最新版本上操作。"))
    if version.status not in (AgreementStatus.DRAFT,):
        raise Conflict(_("只有草稿可以定稿；被退回的版本请修改后生成新版本。"))
    problems = agreement_check(version)
    if problems:
        fields: dict[str, list[str]] = {}
        for p in problems:
            fields.setdefault(p.element, []).append(p.message)
        raise ValidationFailed(
            _("协议还有%(n)s处问题，不能定稿。") % {"n": len(problems)},
            fields=fields,
            code="agreement_incomplete",
            data={"problems": [p.as_dict() for p in problems]},
        )
    rendered = agreement_render(version)
    version.rendered_text = rendered.text
    version.sha256 = rendered.sha256
    version.clause_versions = rendered.clause_versions
    version.status = AgreementStatus.FINAL
    version.finalised_at = clock.now()
    version.finalised_by = actor
    version.save()
    match = version.match
    legal_services.review_open(
        actor=actor,
        subject=version,
        community=match.community,
        title=_("同住协议审核：%(m)s（第%(v)s版）") % {"m": str(match), "v": version.number},
        summary=version.change_note,
    )
    audit.record(
        "homeshare.agreement.finalised",
        actor=actor,
        target=version,
        data={"sha256": version.sha256, "clauses": rendered.clause_versions},
    )
    _notify(
        [match.offer.elder.user, match.application.volunteer.user],
        "homeshare.agreement.ready",
        {"number": version.number},
        f"/homeshare/agreements/{version.pk}/",
        f"homeshare:agreement:{version.pk}:ready",
    )
    return version


@transaction.atomic
def agreement_sign(
    *,
    actor: User,
    version_id: int,
    role: str | None = None,
    witnessed: bool = False,
    document_sha256: str | None = None,
) -> Signature:
    """Sign a finalised version. The signer must be a party (the elder, the youth) or a legal advisor;
    a worker may record a witnessed paper signature for the elder or the youth."""
    # Looked up without scope on purpose: someone who is not a party gets a clear "not a party" error.
    version = (
        AgreementVersion.objects.select_for_update(of=("self",))
        .select_related(
            "match__offer__elder__user", "match__application__volunteer__user", "match__community__street"
        )
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise NotFound()
    match = version.match
    elder_user, youth_user = match.offer.elder.user, match.application.volunteer.user
    if witnessed:
        require_worker(actor, match)
        if role not in (SignerRole.ELDER, SignerRole.YOUTH):
            raise ValidationFailed(fields={"role": [_("见证录入只适用于长者或青年的签字。")]})
        signer, method = (elder_user if role == SignerRole.ELDER else youth_user), SignatureMethod.WITNESSED
    elif actor.pk == elder_user.pk:
        signer, role, method = actor, SignerRole.ELDER, SignatureMethod.ONLINE
    elif actor.pk == youth_user.pk:
        signer, role, method = actor, SignerRole.YOUTH, SignatureMethod.ONLINE
    elif actor.role == Role.LEGAL_ADVISOR and actor.district_id == match.community.street.district_id:
        signer, role, method = actor, SignerRole.LEGAL, SignatureMethod.ONLINE
    else:
        raise Forbidden(_("您不是本协议的当事人，不能签署。"), code="not_a_party")
    if version.status == AgreementStatus.SUPERSEDED:
        raise Conflict(
            _("第%(v)s版已被新版本替代，不能签署；请签署最新版本。") % {"v": version.number},
            code="superseded",
        )
    if version.status != AgreementStatus.FINAL:
        raise Conflict(_("该版本尚未定稿或已退回修改，不能签署。"), code="not_final")
    if document_sha256 is not None and document_sha256 != version.sha256:
        raise Conflict(_("您看到的文本与当前版本不一致，请刷新后重新阅读再签署。"), code="hash_mismatch")
    if version.signatures.filter(role=role).exists():
        raise Conflict(_("该方已签署。"))
    if role == SignerRole.LEGAL:
        review = legal_services.review_for(version)
        if review is not None and review.status == ReviewStatus.CHANGES:
            raise Conflict(_("该版本已退回修改，不能签署。"))
        if review is not None and review.status == ReviewStatus.PENDING:
            legal_services.review_decide(
                actor=actor, review_id=review.pk, approve=True, notes=_("审核通过并签署")
            )
    signature = Signature.objects.create(
        version=version,
        role=role,
        signer=signer,
        account=signer.get_username(),
        recorded_by=actor,
        method=method,
        document_sha256=version.sha256,
    )
    audit.record(
        "homeshare.agreement.signed",
        actor=actor,
        on_behalf_of=signer if signer.pk != actor.pk else None,
        target=version,
        data={"role": role, "sha256": version.sha256, "method": method},
    )
    if version.signatures.count() == len(SignerRole.values):
        _agreement_in_force(actor=actor, version=version)
    return signature


def _agreement_in_force(*, actor: User, version: AgreementVersion) -> None:
    version.status = AgreementStatus.SIGNED
    version.signed_at = clock.now()
    version.save(update_fields=["status", "signed_at", "updated_at"])
    match = version.match
    terms = version.terms
    link = f"/homeshare/matches/{match.pk}/"
    if match.status == MatchStatus.ACCEPTED:
        start = dt.date.fromisoformat(terms["start_date"])
        match.status = MatchStatus.TRIAL
        match.started_on = start
        match.trial_ends_on = agreements.add_months(start, int(terms["trial_months"]))
        match.term_ends_on = agreements.end_date(terms)
        match.save()
        for participant in (match.offer, match.application):
            _set_stage(participant, Stage.TRIAL, actor=actor)
        schedule_monitoring(match=match)
    else:  # a revised agreement during the match: new terms apply, the schedule stays
        match.term_ends_on = agreements.end_date(terms)
        match.save(update_fields=["term_ends_on", "updated_at"])
    audit.record("homeshare.agreement.in_force", actor=actor, target=version, data={"match": match.pk})
    _notify(
        [*coordinators(match.community), match.offer.elder.user, match.application.volunteer.user],
        "homeshare.agreement.signed",
        {"number": version.number},
        link,
        f"homeshare:agreement:{version.pk}:signed",
    )


def on_review_decided(*, review: Any, actor: User) -> None:
    """Legal hook: a review sent back for changes returns the version to the coordinator."""
    version = AgreementVersion.objects.select_for_update().filter(pk=review.subject_id).first()
    if version is None or review.status != ReviewStatus.CHANGES:
        return
    if version.status == AgreementStatus.FINAL:
        version.status = AgreementStatus.RETURNED
        version.save(update_fields=["status", "updated_at"])
        audit.record("homeshare.agreement.returned", actor=actor, target=version, data={"review": review.pk})
        _notify(
            coordinators(version.match.community),
            "homeshare.agreement.returned",
            {"number": version.number, "notes": review.notes[:100]},
            f"/homeshare/agreements/{version.pk}/",
            f"homeshare:agreement:{version.pk}:returned",
        )


# --- monitoring ---------------------------------------------------------------------------------------------


def visit_plan(start: dt.date, end: dt.date | None) -> list[tuple[str, dt.date]]:
    """Day 3, week 1, 2 and 4, then every 30 days until the end of the term (or a year)."""
    plan = [
        (VisitKind.DAY3, start + dt.timedelta(days=3)),
        (VisitKind.WEEK1, start + dt.timedelta(days=7)),
        (VisitKind.WEEK2, start + dt.timedelta(days=14)),
        (VisitKind.WEEK4, start + dt.timedelta(days=28)),
    ]
    last = end or start + dt.timedelta(days=365)
    day = start + dt.timedelta(days=28 + MONTHLY_VISIT_DAYS)
    while day <= last:
        plan.append((VisitKind.MONTHLY, day))
        day += dt.timedelta(days=MONTHLY_VISIT_DAYS)
    return [(k, d) for k, d in plan if d <= last]


def _at(day: dt.date, hour: int = 18) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.SHANGHAI)


def schedule_monitoring(*, match: Match) -> list[Visit]:
    """Called when a match starts: visits as due rows, each with an overdue check; weekly help; trial end."""
    assert match.started_on is not None
    visits = []
    for kind, day in visit_plan(match.started_on, match.term_ends_on):
        visit = Visit.objects.create(match=match, kind=kind, scheduled_for=day)
        MonitoringTask.objects.create(
            match=match,
            kind=TaskKind.VISIT_OVERDUE,
            visit=visit,
            due_at=_at(day + dt.timedelta(days=VISIT_GRACE_DAYS)),
        )
        visits.append(visit)
    _schedule_help_week(match, match.started_on)
    if match.trial_ends_on:
        MonitoringTask.objects.create(
            match=match,
            kind=TaskKind.TRIAL_END,
            due_at=_at(match.trial_ends_on - dt.timedelta(days=3), 9),
        )
    return visits


def _schedule_help_week(match: Match, week_start: dt.date) -> MonitoringTask:
    week_end = week_start + dt.timedelta(days=6)
    return MonitoringTask.objects.create(
        match=match,
        kind=TaskKind.HELP_WEEK,
        period_start=week_start,
        period_end=week_end,
        due_at=_at(week_end + dt.timedelta(days=HELP_CHECK_GRACE_DAYS), 9),
    )


@transaction.atomic
def visit_record(
    *,
    actor: User,
    visit_id: int,
    elder_wellbeing: int,
    youth_wellbeing: int,
    notes: str,
    concerns: str = "",
) -> Visit:
    visit = _locked(Visit, actor, visit_id, "match__community")
    require_worker(actor, visit.match)
    if visit.status != VisitStatus.SCHEDULED:
        raise Conflict(_("该回访已记录或已取消。"))
    errors: dict[str, list[str]] = {}
    for key, value in (("elder_wellbeing", elder_wellbeing), ("youth_wellbeing", youth_wellbeing)):
        if value not in Wellbeing.values:
            errors[key] = [_("请选择1到5分的状态。")]
    if len(notes.strip()) < 5:
        errors["notes"] = [_("请填写回访记录。")]
    if errors:
        raise ValidationFailed(fields=errors)
    visit.status = VisitStatus.DONE
    visit.done_at = clock.now()
    visit.visitor = actor
    visit.elder_wellbeing = elder_wellbeing
    visit.youth_wellbeing = youth_wellbeing
    visit.notes = notes.strip()
    visit.concerns = concerns.strip()[:300]
    visit.save()
    audit.record(
        "homeshare.visit.recorded",
        actor=actor,
        target=visit,
        data={"elder": elder_wellbeing, "youth": youth_wellbeing, "concerns": bool(concerns.strip())},
    )
    if min(elder_wellbeing, youth_wellbeing) <= Wellbeing.POOR or concerns.strip():
        _notify(
            coordinators(visit.match.community),
            "homeshare.warning.wellbeing",
            {"match": str(visit.match)},
            f"/homeshare/matches/{visit.match_id}/",
            f"homeshare:visit:{visit.pk}:wellbeing",
        )
    return visit


@transaction.atomic
def helplog_create(
    *, actor: User, match_id: int, date: dt.date, minutes: int, kinds: list[str], note: str = ""
) -> HelpLog:
    """The youth logs help given; the elder confirms it."""
    match = _match_for_update(actor, match_id)
    if actor.pk != match.application.volunteer.user_id:
        raise Forbidden(_("只有同住青年本人可以记录帮助时长。"))
    if match.status not in LIVE_MATCH:
        raise Conflict(_("入住后才能记录帮助时长。"))
    errors: dict[str, list[str]] = {}
    if date > clock.today():
        errors["date"] = [_("日期不能晚于今天。")]
    elif match.started_on and date < match.started_on:
        errors["date"] = [_("日期不能早于入住日期。")]
    elif date < clock.today() - dt.timedelta(days=31):
        errors["date"] = [_("只能补记最近31天内的帮助。")]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 15 <= minutes <= 600:
        errors["minutes"] = [_("每次记录应在15分钟到10小时之间。")]
    clean = _clean_list(kinds, set(HelpKind.values), "kinds", errors)
    if not clean and "kinds" not in errors:
        errors["kinds"] = [_("请选择帮助内容。")]
    if errors:
        raise ValidationFailed(fields=errors)
    entry = HelpLog.objects.create(
        match=match, date=date, minutes=minutes, kinds=clean, note=note.strip()[:300], logged_by=actor
    )
    audit.record("homeshare.help.logged", actor=actor, target=entry, data={"minutes": minutes})
    _notify(
        [match.offer.elder.user],
        "homeshare.help.to_confirm",
        {"youth": match.application.volunteer.name, "minutes": minutes},
        f"/homeshare/matches/{match.pk}/",
        f"homeshare:help:{entry.pk}:confirm",
    )
    return entry


# Homeshare help kinds -> the time bank's help categories (the aid square's ids).
TIMEBANK_CATEGORY = {
    "companionship": "companionship",
    "shopping": "shopping",
    "light_housework": "housework",
    "digital_help": "digital_help",
    "cooking_together": "meal",
    "outing": "outing",
    "medical_escort": "medical_escort",
    "errands": "other",
}


def _post_to_timebank(entry: HelpLog, actor: User) -> str:
    """Confirmed hours go to the time bank exactly once (idempotency key homeshare:<log id>)."""
    try:
        from shiguang.timebank.services import post_service
    except ImportError:  # the time bank is built in parallel; the log stays confirmed and can be posted later
        log.warning("timebank.services.post_service is not available; help log %s not posted", entry.pk)
        return ""
    match = entry.match
    tx = post_service(
        actor=actor,
        idempotency_key=f"homeshare:{entry.id}",
        provider=match.application.volunteer.user,
        receiver=match.offer.elder.user,
        minutes=entry.minutes,
        category=TIMEBANK_CATEGORY.get(entry.kinds[0], "other") if entry.kinds else "companionship",
        source="homeshare",
    )
    return str(getattr(tx, "pk", "") or "")


@transaction.atomic
def helplog_confirm(*, actor: User, log_id: int, confirm: bool, note: str = "") -> HelpLog:
    entry = _locked(
        HelpLog,
        actor,
        log_id,
        "match__offer__elder__user",
        "match__application__volunteer__user",
        "match__community",
    )
    match = entry.match
    own = actor.pk == match.offer.elder.user_id
    if not own and not (is_worker(actor) and in_scope(match, actor)):
        raise Forbidden(_("只有长者本人（或代办的社区工作人员）可以确认帮助时长。"))
    if entry.status != HelpLogStatus.LOGGED:
        raise Conflict(_("该记录已处理。"))
    if not confirm and len(note.strip()) < 2:
        raise ValidationFailed(fields={"note": [_("请说明异议。")]})
    entry.status = HelpLogStatus.CONFIRMED if confirm else HelpLogStatus.DISPUTED
    entry.confirmed_by = actor
    entry.confirmed_at = clock.now()
    entry.dispute_note = "" if confirm else note.strip()[:300]
    if confirm:
        entry.ledger_ref = _post_to_timebank(entry, actor)
    entry.save()
    audit.record(
        "homeshare.help.confirmed" if confirm else "homeshare.help.disputed",
        actor=actor,
        on_behalf_of=None if own else match.offer.elder.user,
        target=entry,
        data={"minutes": entry.minutes, "ledger": entry.ledger_ref},
    )
    if not confirm:
        _notify(
            coordinators(match.community),
            "homeshare.help.disputed",
            {"match": str(match)},
            f"/homeshare/matches/{match.pk}/",
            f"homeshare:help:{entry.pk}:disputed",
        )
    return entry


@transaction.atomic
def match_confirm_trial(*, actor: User, match_id: int, note: str = "") -> Match:
    """After the trial, the coordinator confirms with both people that they go on: trial → active."""
    match = _match_for_update(actor, match_id)
    require_worker(actor, match)
    if match.status != MatchStatus.TRIAL:
        raise Conflict(_("只有试住期的配对可以转为正式同住。"))
    match.status = MatchStatus.ACTIVE
    match.active_since = clock.today()
    match.save()
    for participant in (match.offer, match.application):
        _set_stage(participant, Stage.ACTIVE, actor=actor, note=note)
    audit.record("homeshare.match.active", actor=actor, target=match)
    return match


@transaction.atomic
def match_end(
    *,
    actor: User,
    match_id: int,
    reason: str,
    note: str,
    rematch: bool = False,
    ended_on: dt.date | None = None,
) -> Match:
    """End a living match with a reason; open visits and checks are cancelled. With `rematch`, both people go
    back to the pool of vetted participants to be matched again."""
    match = _match_for_update(actor, match_id)
    if not (is_worker(actor) and in_scope(match, actor)) and not legal_services.is_advisor(actor):
        raise Forbidden(_("只有社区工作人员或法律顾问可以办理结束。"))
    if match.status not in LIVE_MATCH:
        raise Conflict(_("只有试住或同住中的配对可以结束。"))
    errors: dict[str, list[str]] = {}
    if reason not in EndReason.values:
        errors["reason"] = [_("请选择结束原因。")]
    if len(note.strip()) < 2:
        errors["note"] = [_("请填写结束说明。")]
    ended_on = ended_on or clock.today()
    if match.started_on and ended_on < match.started_on <= clock.today():
        errors["ended_on"] = [_("结束日期不能早于入住日期。")]
    if ended_on > clock.today():
        errors["ended_on"] = [_("结束日期不能晚于今天。")]
    if errors:
        raise ValidationFailed(fields=errors)
    match.status = MatchStatus.ENDED
    match.ended_on = ended_on
    match.end_reason = reason
    match.end_note = note.strip()[:300]
    match.ended_by = actor
    match.save()
    Visit.objects.filter(match=match, status=VisitStatus.SCHEDULED).update(status=VisitStatus.CANCELLED)
    MonitoringTask.objects.filter(match=match, done_at__isnull=True).update(
        done_at=clock.now(), result="cancelled", claimed_by="", claimed_until=None
    )
    for participant in (match.offer, match.application):
        _set_stage(participant, Stage.ENDED, actor=actor, note=str(EndReason(reason).label))
        if rematch:
            _set_stage(participant, Stage.VETTED, actor=actor, note=_("结束后重新配对"))
    audit.record(
        "homeshare.match.ended", actor=actor, target=match, data={"reason": reason, "rematch": rematch}
    )
    _notify(
        [*coordinators(match.community), match.offer.elder.user, match.application.volunteer.user],
        "homeshare.match.ended",
        {"match": str(match), "reason": str(EndReason(reason).label)},
        f"/homeshare/matches/{match.pk}/",
        f"homeshare:match:{match.pk}:ended",
    )
    return match


@transaction.atomic
def rematch(*, actor: User, kind: str, pk: int) -> Offer | Application:
    """Put a participant whose match ended back in the pool (vetted again)."""
    participant = _participant(actor, kind, pk)
    require_worker(actor, participant)
    if participant.stage != Stage.ENDED or participant.dropped_at is not None:
        raise Conflict(_("只有配对已结束且未退出的对象可以重新配对。"))
    _set_stage(participant, Stage.VETTED, actor=actor, note=_("结束后重新配对"))
    audit.record(f"homeshare.{kind}.rematch", actor=actor, target=participant)
    return participant


@transaction.atomic
def mediation_request(*, actor: User, match_id: int, category: str, issue: str) -> Any:
    """Ask the legal centre to mediate a dispute in a living match (the agreement says: mediation first)."""
    match = _match_for_update(actor, match_id)
    parties = [match.offer.elder.user, match.application.volunteer.user]
    if actor not in parties and not (is_worker(actor) and in_scope(match, actor)):
        raise Forbidden(_("只有当事人或社区工作人员可以申请调解。"))
    if match.status not in LIVE_MATCH:
        raise Conflict(_("只有试住或同住中的配对可以申请调解。"))
    if category not in MediationCategory.values:
        raise ValidationFailed(fields={"category": [_("请选择争议类别。")]})
    case = legal_services.mediation_open(
        actor=actor,
        subject=match,
        community=match.community,
        title=_("同住调解：%(m)s") % {"m": str(match)},
        category=category,
        issue=issue,
        parties=parties,
    )
    audit.record("homeshare.match.mediation_requested", actor=actor, target=match, data={"case": case.pk})
    return case


def on_mediation_closed(*, case: Any, actor: User) -> None:
    """Legal hook: act on the mediation outcome in the same transaction."""
    match = Match.objects.filter(pk=case.subject_id).first()
    if match is None:
        return
    if case.outcome == MediationOutcome.ENDED and match.status in LIVE_MATCH:
        match_end(
            actor=actor,
            match_id=match.pk,
            reason=EndReason.MEDIATION,
            note=case.outcome_note[:300] or _("调解后终止"),
            rematch=False,
        )
    elif case.outcome == MediationOutcome.AGREEMENT_CHANGED:
        _notify(
            coordinators(match.community),
            "homeshare.mediation.agreement_changed",
            {"match": str(match)},
            f"/homeshare/matches/{match.pk}/",
            f"homeshare:mediation:{case.pk}:changed",
        )


# --- the worker handler -------------------------------------------------------------------------------------

CLAIM_SECONDS = 60


def _claim(worker_id: str, batch: int) -> list[int]:
    from django.db import connection

    now = clock.now()
    due = Q(done_at__isnull=True, due_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    with transaction.atomic():
        qs = MonitoringTask.objects.filter(due).order_by("due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[:batch])
        if ids:
            MonitoringTask.objects.filter(id__in=ids).update(
                claimed_by=worker_id[:64], claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)
            )
    return ids


def run_monitoring(worker_id: str, batch: int = 50) -> int:
    """Worker handler: overdue visits, help below the agreement, trial ending → warn the coordinator."""
    handled = 0
    for task_id in _claim(worker_id, batch):
        with transaction.atomic():
            task = (
                MonitoringTask.objects.select_for_update(of=("self",))
                .select_related("match__community", "visit")
                .filter(pk=task_id, done_at__isnull=True, claimed_by=worker_id[:64])
                .first()
            )
            if task is None:
                continue
            handle_task(task)
            handled += 1
    return handled


def handle_task(task: MonitoringTask) -> None:
    match = task.match
    link = f"/homeshare/matches/{match.pk}/"
    result, detail = "ok", {}
    if match.status not in LIVE_MATCH:
        result = "skipped"
    elif task.kind == TaskKind.VISIT_OVERDUE:
        visit = task.visit
        if visit is not None and visit.status == VisitStatus.SCHEDULED:
            result = "warned"
            detail = {"visit": visit.pk, "scheduled_for": visit.scheduled_for.isoformat()}
            _notify(
                coordinators(match.community),
                "homeshare.warning.visit_overdue",
                {
                    "match": str(match),
                    "kind": str(visit.get_kind_display()),
                    "date": visit.scheduled_for.isoformat(),
                },
                link,
                f"homeshare:task:{task.pk}",
            )
    elif task.kind == TaskKind.HELP_WEEK:
        assert task.period_start is not None and task.period_end is not None
        version = match.agreements.filter(status=AgreementStatus.SIGNED).order_by("-number").first()
        expected = int(version.terms.get("help_hours_per_week", 0)) * 60 if version else 0
        logged = sum(
            match.help_logs.filter(date__range=(task.period_start, task.period_end))
            .exclude(status=HelpLogStatus.DISPUTED)
            .values_list("minutes", flat=True)
        )
        detail = {"expected_minutes": expected, "logged_minutes": logged}
        if logged < expected:
            result = "warned"
            _notify(
                coordinators(match.community),
                "homeshare.warning.help_short",
                {
                    "match": str(match),
                    "logged": round(logged / 60, 1),
                    "expected": round(expected / 60, 1),
                    "week": task.period_start.isoformat(),
                },
                link,
                f"homeshare:task:{task.pk}",
            )
        next_start = task.period_end + dt.timedelta(days=1)
        if match.term_ends_on is None or next_start <= match.term_ends_on:
            _schedule_help_week(match, next_start)
    elif task.kind == TaskKind.TRIAL_END and match.status == MatchStatus.TRIAL:
        result = "warned"
        _notify(
            coordinators(match.community),
            "homeshare.trial.ending",
            {"match": str(match), "date": match.trial_ends_on.isoformat() if match.trial_ends_on else ""},
            link,
            f"homeshare:task:{task.pk}",
        )
    task.result = result
    task.detail = detail
    task.done_at = clock.now()
    task.claimed_until = None
    task.save(update_fields=["result", "detail", "done_at", "claimed_until"])
    if result == "warned":
        audit.record(f"homeshare.warning.{task.kind}", target=match, data=detail)
