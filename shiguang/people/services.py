"""Every write of people: elders (including registration by a worker for an elder), volunteers, family links,
emergency contacts, capability assessments, and audited reveals of sensitive fields."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shiguang.accounts import services as account_services
from shiguang.accounts.choices import STAFF_ROLES, ConsentCategory, Role
from shiguang.accounts.models import User
from shiguang.accounts.validators import (
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.core.masking import MASKERS
from shiguang.core.scoping import in_scope, is_worker, is_worker_for
from shiguang.people import assessment
from shiguang.people.choices import (
    FamilyRelation,
    Gender,
    Hukou,
    LivingArrangement,
    VerificationStatus,
    VolunteerKind,
)
from shiguang.people.models import (
    CapabilityAssessment,
    ElderProfile,
    EmergencyContact,
    FamilyLink,
    VolunteerProfile,
)
from shiguang.people.selectors import find_elder_by_id_number
from shiguang.places.models import Community

SENSITIVE_ELDER_FIELDS = ("id_number", "phone", "address", "health_notes")


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _require_worker_for(actor: User, community: Community) -> None:
    """Only staff whose place contains `community` may register or act for elders there."""
    if not is_worker(actor):
        raise Forbidden(_("只有社区工作人员可以为长者登记。"))
    if not in_scope(community, actor):
        raise Forbidden(_("您只能为本辖区的长者登记。"))


def validate_elder_input(data: dict[str, Any]) -> dict[str, list[str]]:
    """Field-level checks shared by the form, the API and the roster import."""
    errors: dict[str, list[str]] = {}
    if not str(data.get("name", "")).strip():
        errors["name"] = [_("请填写姓名。")]
    if data.get("gender") not in Gender.values:
        errors["gender"] = [_("性别应为“男”或“女”。")]
    if data.get("living_arrangement") not in LivingArrangement.values:
        errors["living_arrangement"] = [_("请选择居住状况：独居、空巢或与家人同住。")]
    if data.get("hukou") not in Hukou.values:
        errors["hukou"] = [_("请选择户籍类型：户籍或常住。")]
    birth = data.get("birth_date")
    if not isinstance(birth, dt.date):
        errors["birth_date"] = [_("出生日期格式应为 YYYY-MM-DD。")]
    elif not (dt.date(1900, 1, 1) <= birth <= clock.today()):
        errors["birth_date"] = [_("出生日期不合理。")]
    elif (clock.today() - birth).days < 60 * 365:
        errors["birth_date"] = [_("长者应年满60岁。")]
    id_number = data.get("id_number") or ""
    if id_number:
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            errors["id_number"] = _messages(exc)
    phone = data.get("phone") or ""
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors["phone"] = _messages(exc)
    for key in ("home_lat", "home_lng"):
        value = data.get(key)
        if value is not None and not isinstance(value, int | float):
            errors[key] = [_("坐标应为数字。")]
    lat, lng = data.get("home_lat"), data.get("home_lng")
    if isinstance(lat, int | float) and not 21 <= lat <= 24:
        errors["home_lat"] = [_("位置不在深圳范围内。")]
    if isinstance(lng, int | float) and not 112 <= lng <= 116:
        errors["home_lng"] = [_("位置不在深圳范围内。")]
    return errors


@transaction.atomic
def elder_register(
    *,
    actor: User,
    community: Community,
    name: str,
    gender: str,
    birth_date: dt.date,
    living_arrangement: str,
    hukou: str,
    phone: str = "",
    password: str | None = None,
    id_number: str = "",
    address: str = "",
    home_lat: float | None = None,
    home_lng: float | None = None,
    health_notes: str = "",
    languages: list[str] | None = None,
    needs: list[str] | None = None,
    is_demo: bool = False,
) -> ElderProfile:
    """A worker registers an elder (proxy mode when the elder has no phone)."""
    _require_worker_for(actor, community)
    data = {
        "name": name,
        "gender": gender,
        "birth_date": birth_date,
        "living_arrangement": living_arrangement,
        "hukou": hukou,
        "id_number": id_number,
        "phone": phone,
        "home_lat": home_lat,
        "home_lng": home_lng,
    }
    errors = validate_elder_input(data)
    if id_number and "id_number" not in errors and find_elder_by_id_number(id_number) is not None:
        errors["id_number"] = [_("该身份证号已登记。")]
    if phone and "phone" not in errors and account_services.phone_taken(phone):
        errors["phone"] = [_("该手机号已注册。")]
    if errors:
        raise ValidationFailed(fields=errors)
    user = account_services.user_create(
        actor=actor,
        role=Role.ELDER,
        display_name=name,
        phone=phone,
        password=password,
        community=community,
        is_demo=is_demo,
    )
    elder = ElderProfile.objects.create(
        user=user,
        community=community,
        name=name.strip(),
        gender=gender,
        birth_date=birth_date,
        living_arrangement=living_arrangement,
        hukou=hukou,
        languages=languages or ["mandarin"],
        id_number=normalize_id_number(id_number) if id_number else "",
        address=address.strip(),
        home_lat=round(home_lat, 3) if home_lat is not None else None,
        home_lng=round(home_lng, 3) if home_lng is not None else None,
        health_notes=health_notes.strip(),
        needs=needs or [],
        has_phone=bool(phone),
        registered_by=actor,
        is_demo=is_demo,
    )
    audit.record(
        "people.elder.registered",
        actor=actor,
        on_behalf_of=user,
        target=elder,
        data={"community": community.id, "proxy": not phone},
    )
    return elder


EDITABLE_ELDER_FIELDS = {
    "living_arrangement",
    "hukou",
    "languages",
    "needs",
    "address",
    "home_lat",
    "home_lng",
}


@transaction.atomic
def elder_update(*, actor: User, elder: ElderProfile, changes: dict[str, Any]) -> ElderProfile:
    if not (actor.pk == elder.user_id or is_worker_for(actor, elder)):
        raise Forbidden()
    unknown = set(changes) - EDITABLE_ELDER_FIELDS - {"health_notes"}
    if unknown:
        raise ValidationFailed(fields={k: [_("该字段不可修改。")] for k in unknown})
    if "health_notes" in changes:
        account_services.require_consent(elder.user, ConsentCategory.HEALTH)
    merged = {
        "name": elder.name,
        "gender": elder.gender,
        "birth_date": elder.birth_date,
        "living_arrangement": elder.living_arrangement,
        "hukou": elder.hukou,
        **changes,
    }
    errors = validate_elder_input(merged)
    if errors:
        raise ValidationFailed(fields=errors)
    for key, value in changes.items():
        setattr(elder, key, value)
    elder.save()
    audit.record(
        "people.elder.updated",
        actor=actor,
        on_behalf_of=elder.user if actor.pk != elder.user_id else None,
        target=elder,
        data={"fields": sorted(changes)},  # values stay out of the log
    )
    return elder


def can_unmask(actor: User, elder: ElderProfile) -> bool:
    if actor.pk == elder.user_id:
        return True
    return (
        bool(actor.can_unmask or actor.is_superuser) and actor.role in STAFF_ROLES and in_scope(elder, actor)
    )


@transaction.atomic
def elder_reveal(*, actor: User, elder: ElderProfile, field: str, purpose: str) -> str:
    """Return one sensitive value in full, after checking permission and consent; the read is audited."""
    if field not in SENSITIVE_ELDER_FIELDS:
        raise ValidationFailed(fields={"field": [_("该字段不是敏感字段。")]})
    if not can_unmask(actor, elder):
        raise Forbidden(_("您没有查看完整信息的权限。"))
    if not purpose.strip():
        raise ValidationFailed(fields={"purpose": [_("请说明查看原因。")]})
    if field == "health_notes" and actor.pk != elder.user_id:
        account_services.require_consent(elder.user, ConsentCategory.HEALTH)
    if field == "id_number" and actor.pk != elder.user_id:
        account_services.require_consent(elder.user, ConsentCategory.ID_NUMBER)
    value = elder.user.phone if field == "phone" else getattr(elder, field)
    audit.record(
        "people.elder.revealed",
        actor=actor,
        on_behalf_of=None,
        target=elder,
        data={"field": field, "purpose": purpose.strip()[:200]},
    )
    return str(value)


def masked(elder: ElderProfile) -> dict[str, str]:
    values = {f: (elder.user.phone if f == "phone" else getattr(elder, f)) for f in SENSITIVE_ELDER_FIELDS}
    return {f: MASKERS[f](v or "") for f, v in values.items()}


@transaction.atomic
def emergency_contact_add(
    *, actor: User, elder: ElderProfile, name: str, relation: str, phone: str, priority: int = 1
) -> EmergencyContact:
    if not (actor.pk == elder.user_id or is_worker_for(actor, elder)):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写姓名。")]
    if relation not in FamilyRelation.values:
        errors["relation"] = [_("请选择关系。")]
    try:
        validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = _messages(exc)
    if errors:
        raise ValidationFailed(fields=errors)
    contact = EmergencyContact.objects.create(
        elder=elder, name=name.strip(), relation=relation, phone=normalize_phone(phone), priority=priority
    )
    audit.record(
        "people.contact.added",
        actor=actor,
        on_behalf_of=elder.user if actor.pk != elder.user_id else None,
        target=contact,
    )
    return contact


@transaction.atomic
def family_link(*, actor: User, elder: ElderProfile, family_user: User, relation: str) -> FamilyLink:
    if not (actor.pk == elder.user_id or is_worker_for(actor, elder)):
        raise Forbidden()
    if family_user.role != Role.FAMILY:
        raise ValidationFailed(fields={"family_user": [_("该账户不是家属账户。")]})
    if relation not in FamilyRelation.values:
        raise ValidationFailed(fields={"relation": [_("请选择关系。")]})
    if FamilyLink.objects.filter(elder=elder, family_user=family_user).exists():
        raise Conflict(_("已关联该家属。"))
    link = FamilyLink.objects.create(elder=elder, family_user=family_user, relation=relation)
    audit.record(
        "people.family.linked",
        actor=actor,
        on_behalf_of=elder.user if actor.pk != elder.user_id else None,
        target=link,
        data={"family_user": family_user.pk},
    )
    return link


def validate_volunteer_input(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(data.get("name", "")).strip():
        errors["name"] = [_("请填写姓名。")]
    if data.get("gender") not in Gender.values:
        errors["gender"] = [_("性别应为“男”或“女”。")]
    if data.get("kind") not in VolunteerKind.values:
        errors["kind"] = [_("请选择志愿者类别。")]
    phone = data.get("phone") or ""
    if not phone:
        errors["phone"] = [_("志愿者需填写手机号。")]
    else:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors["phone"] = _messages(exc)
    return errors


@transaction.atomic
def volunteer_register(
    *,
    actor: User | None,
    community: Community,
    name: str,
    gender: str,
    kind: str,
    phone: str,
    password: str | None = None,
    birth_date: dt.date | None = None,
    skills: list[str] | None = None,
    languages: list[str] | None = None,
    availability: dict[str, list[str]] | None = None,
    base_lat: float | None = None,
    base_lng: float | None = None,
    is_demo: bool = False,
) -> VolunteerProfile:
    """Self sign-up (actor None) or registration by a worker."""
    errors = validate_volunteer_input({"name": name, "gender": gender, "kind": kind, "phone": phone})
    if phone and "phone" not in errors and account_services.phone_taken(phone):
        errors["phone"] = [_("该手机号已注册。")]
    if errors:
        raise ValidationFailed(fields=errors)
    user = account_services.user_create(
        actor=actor,
        role=Role.VOLUNTEER,
        display_name=name,
        phone=phone,
        password=password,
        community=community,
        is_demo=is_demo,
    )
    profile = VolunteerProfile.objects.create(
        user=user,
        community=community,
        name=name.strip(),
        gender=gender,
        kind=kind,
        birth_date=birth_date,
        skills=skills or [],
        languages=languages or ["mandarin"],
        availability=availability or {},
        base_lat=base_lat,
        base_lng=base_lng,
        is_demo=is_demo,
    )
    audit.record("people.volunteer.registered", actor=actor or user, target=profile, data={"kind": kind})
    return profile


@transaction.atomic
def volunteer_verify(
    *, actor: User, volunteer: VolunteerProfile, approve: bool, note: str = ""
) -> VolunteerProfile:
    if not is_worker_for(actor, volunteer):
        raise Forbidden()
    volunteer = VolunteerProfile.objects.select_for_update().get(pk=volunteer.pk)
    if volunteer.verification_status != VerificationStatus.PENDING:
        raise Conflict(_("该志愿者已完成核验。"))
    volunteer.verification_status = VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED
    volunteer.verified_by = actor
    volunteer.verified_at = clock.now()
    volunteer.save(update_fields=["verification_status", "verified_by", "verified_at"])
    audit.record(
        "people.volunteer.verified" if approve else "people.volunteer.rejected",
        actor=actor,
        target=volunteer,
        data={"note": note[:200]},
    )
    return volunteer


@transaction.atomic
def assessment_record(
    *,
    actor: User,
    elder: ElderProfile,
    answers: dict[str, Any],
    assessed_on: dt.date | None = None,
    note: str = "",
) -> CapabilityAssessment:
    if not is_worker_for(actor, elder):
        raise Forbidden(_("只有本辖区工作人员可以录入能力评估。"))
    assessed_on = assessed_on or clock.today()
    if assessed_on > clock.today():
        raise ValidationFailed(fields={"assessed_on": [_("评估日期不能晚于今天。")]})
    result = assessment.score(answers)
    months = assessment.table()["reassess_after_months"]
    due = _add_months(assessed_on, months)
    record = CapabilityAssessment.objects.create(
        elder=elder,
        assessed_on=assessed_on,
        assessor=actor,
        answers={k: int(v) for k, v in answers.items() if k in {i["id"] for _d, _l, i in assessment.items()}},
        domain_scores=result["domains"],
        total=result["total"],
        level=result["level"],
        reassess_due=due,
        note=note,
    )
    audit.record(
        "people.assessment.recorded",
        actor=actor,
        on_behalf_of=elder.user,
        target=record,
        data={"total": result["total"], "level": result["level"]},
    )
    return record


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
