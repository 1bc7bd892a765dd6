"""Outreach (入户宣传): visits logged by workers, the screening questionnaire, youth surveys.

"Unknown household": a visit names either a registered elder by id, or a new household by its address.
An elder id that does not exist, or belongs to an elder outside the worker's place, is unknown: the
visit is refused with a message naming the id, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.accounts.validators import normalize_phone, validate_phone
from shiguang.community import screening
from shiguang.community.choices import OutreachOutcome, RecruitmentChannel, YouthInterest
from shiguang.community.models import OutreachVisit, ScreeningResponse, YouthSurvey
from shiguang.community.services._common import is_worker, require_community_staff, require_worker
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import get_scoped, in_scope
from shiguang.people.choices import VolunteerKind
from shiguang.people.models import ElderProfile

MAX_BACKDATE_DAYS = 365


def _unknown_household(elder_id: Any) -> ValidationFailed:
    message = _(
        "找不到编号为 %(id)s 的长者，或该长者不在您的辖区。"
        "请核对编号；如是尚未登记的住户，请不填编号，改填住户地址。"
    ) % {"id": elder_id}
    return ValidationFailed(message, code="unknown_household", fields={"elder_id": [message]})


def find_household_elder(actor: Any, elder_id: Any) -> ElderProfile:
    try:
        return get_scoped(ElderProfile.objects.select_related("community"), actor, pk=int(elder_id))
    except (NotFound, TypeError, ValueError):
        raise _unknown_household(elder_id) from None


@transaction.atomic
def outreach_log(
    *,
    actor: Any,
    visited_on: dt.date,
    outcome: str,
    elder_id: int | None = None,
    community: Any = None,
    household_address: str = "",
    contact_name: str = "",
    companions: str = "",
    interest_homeshare: bool = False,
    interest_mutual_aid: bool = False,
    interest_sos_device: bool = False,
    notes: str = "",
    follow_up_on: dt.date | None = None,
    is_demo: bool = False,
) -> OutreachVisit:
    require_worker(actor, _("只有社区工作人员可以登记入户走访。"))
    errors: dict[str, list[str]] = {}
    elder = None
    address = " ".join(household_address.split())
    if elder_id not in (None, ""):
        elder = find_household_elder(actor, elder_id)
        if address:
            errors["household_address"] = [_("已选择登记长者时不需要再填地址（地址已在长者档案中）。")]
        community = elder.community
    else:
        if not address:
            errors["household_address"] = [_("请选择已登记的长者，或填写新住户的地址。")]
        elif len(address) > 200:
            errors["household_address"] = [_("地址不超过200个字。")]
        community = community or (actor.community if actor.role == Role.COMMUNITY_WORKER else None)
        if community is None:
            errors["community"] = [_("请选择新住户所在的社区。")]
        elif not in_scope(community, actor):
            errors["community"] = [_("该社区不在您的辖区。")]
    if outcome not in OutreachOutcome.values:
        errors["outcome"] = [_("请选择走访结果。")]
    today = clock.today()
    if visited_on > today:
        errors["visited_on"] = [_("走访日期不能晚于今天。")]
    elif visited_on < today - dt.timedelta(days=MAX_BACKDATE_DAYS):
        errors["visited_on"] = [_("只能补录一年以内的走访。")]
    interested = interest_homeshare or interest_mutual_aid or interest_sos_device
    if outcome in (OutreachOutcome.NOT_HOME, OutreachOutcome.DECLINED) and interested:
        errors["outcome"] = [_("无人在家或婉拒交流时，不能登记意向。")]
    if follow_up_on is not None and follow_up_on < visited_on:
        errors["follow_up_on"] = [_("回访日期不能早于走访日期。")]
    if len(contact_name) > 40:
        errors["contact_name"] = [_("称呼不超过40个字。")]
    if errors:
        raise ValidationFailed(fields=errors)
    visit = OutreachVisit.objects.create(
        community=community,
        elder=elder,
        household_address=address if elder is None else "",
        contact_name=contact_name.strip(),
        visited_on=visited_on,
        visited_by=actor,
        companions=companions.strip()[:120],
        outcome=outcome,
        interest_homeshare=interest_homeshare,
        interest_mutual_aid=interest_mutual_aid,
        interest_sos_device=interest_sos_device,
        notes=notes.strip(),
        follow_up_on=follow_up_on,
        is_demo=is_demo,
    )
    audit.record(
        "community.outreach.logged",
        actor=actor,
        on_behalf_of=elder.user if elder is not None else None,
        target=visit,
        data={
            "community": community.id,
            "known_elder": elder is not None,
            "outcome": outcome,
            "interests": [
                k
                for k, v in (
                    ("homeshare", interest_homeshare),
                    ("mutual_aid", interest_mutual_aid),
                    ("sos_device", interest_sos_device),
                )
                if v
            ],
        },
    )
    return visit


def _visit(actor: Any, visit_id: Any, *, lock: bool = False) -> OutreachVisit:
    qs = OutreachVisit.objects.select_related("community", "elder")
    visit = get_scoped(qs, actor, pk=visit_id)
    if lock:
        visit = (
            OutreachVisit.objects.select_for_update(of=("self",))
            .select_related("community", "elder")
            .get(pk=visit.pk)
        )
    return visit


@transaction.atomic
def screening_record(*, actor: Any, visit_id: int, answers: dict[str, Any]) -> ScreeningResponse:
    """Record (or redo) the screening questionnaire for a visit; its willingness answers set the interests."""
    require_worker(actor, _("只有社区工作人员可以录入筛查问卷。"))
    visit = _visit(actor, visit_id, lock=True)
    require_community_staff(actor, visit.community)
    if visit.outcome in (OutreachOutcome.NOT_HOME, OutreachOutcome.DECLINED):
        raise Conflict(_("无人在家或婉拒交流的走访不能录入问卷，请在下次走访时录入。"))
    clean, errors = screening.validate(answers if isinstance(answers, dict) else {})
    if errors:
        raise ValidationFailed(fields=errors)
    points, priority = screening.score(clean)
    response, created = ScreeningResponse.objects.update_or_create(
        visit=visit,
        defaults={
            "answers": clean,
            "needs": clean.get("needs", []),
            "priority": priority,
            "score": points,
            "recorded_by": actor,
        },
    )
    flags = screening.interests(clean)
    for key, value in flags.items():
        setattr(visit, key, value)
    if any(flags.values()) and visit.outcome == OutreachOutcome.INFORMED:
        visit.outcome = OutreachOutcome.INTERESTED
    visit.save(update_fields=[*flags, "outcome"])
    audit.record(
        "community.screening.recorded" if created else "community.screening.updated",
        actor=actor,
        on_behalf_of=visit.elder.user if visit.elder is not None else None,
        target=response,
        data={"visit": visit.id, "priority": priority, "score": points},
    )
    return response


@transaction.atomic
def outreach_link_elder(*, actor: Any, visit_id: int, elder_id: int) -> OutreachVisit:
    """After a new household is registered (people app), link its visits to the elder's record."""
    require_worker(actor)
    visit = _visit(actor, visit_id, lock=True)
    if visit.elder_id is not None:
        raise Conflict(_("该走访已关联长者档案。"))
    elder = find_household_elder(actor, elder_id)
    if elder.community_id != visit.community_id:
        raise ValidationFailed(fields={"elder_id": [_("该长者不在这次走访的社区。")]})
    same_household = OutreachVisit.objects.select_for_update().filter(
        community=visit.community, elder__isnull=True, household_index=visit.household_index
    )
    linked = 0
    for row in same_household:
        row.elder = elder
        if row.pk == visit.pk and row.outcome in (OutreachOutcome.INFORMED, OutreachOutcome.INTERESTED):
            row.outcome = OutreachOutcome.REGISTERED
        row.save(update_fields=["elder", "outcome"])
        linked += 1
    audit.record(
        "community.outreach.linked",
        actor=actor,
        on_behalf_of=elder.user,
        target=visit,
        data={"elder": elder.id, "visits": linked},
    )
    visit.refresh_from_db()
    return visit


@transaction.atomic
def youth_survey_record(
    *,
    actor: Any,
    respondent_kind: str,
    channel: str,
    interests: list[str],
    community: Any = None,
    organisation: str = "",
    age: int | None = None,
    hours_per_week: int = 0,
    contact_name: str = "",
    contact_phone: str = "",
    consent_to_contact: bool = False,
    is_demo: bool = False,
) -> YouthSurvey:
    """A youth survey, logged by a worker (university, law firm, employer) or by a volunteer for themself."""
    volunteer = None
    if actor.role == Role.VOLUNTEER:
        volunteer = getattr(actor, "volunteer_profile", None)
        if volunteer is None:
            raise Forbidden()
        community = volunteer.community
    elif is_worker(actor):
        community = community or actor.community
    else:
        raise Forbidden(_("青年意向调查由社区工作人员登记，或志愿者本人填写。"))
    errors: dict[str, list[str]] = {}
    if community is None:
        errors["community"] = [_("请选择登记社区。")]
    elif volunteer is None and not in_scope(community, actor):
        errors["community"] = [_("该社区不在您的辖区。")]
    if respondent_kind not in VolunteerKind.values:
        errors["respondent_kind"] = [_("请选择身份：应届毕业生、实习律师、职场青年等。")]
    if channel not in RecruitmentChannel.values:
        errors["channel"] = [_("请选择接触渠道。")]
    interests = list(dict.fromkeys(interests or []))
    if not interests:
        errors["interests"] = [_("请至少选择一项意向。")]
    elif any(i not in YouthInterest.values for i in interests):
        errors["interests"] = [_("意向选项无效。")]
    if age is not None and not 16 <= age <= 45:
        errors["age"] = [_("青年调查对象年龄应在16到45岁之间。")]
    if not isinstance(hours_per_week, int) or not 0 <= hours_per_week <= 40:
        errors["hours_per_week"] = [_("每周可投入时间应在0到40小时之间。")]
    if contact_phone:
        if not consent_to_contact:
            errors["contact_phone"] = [_("留联系电话需本人同意后续联系。")]
        else:
            try:
                validate_phone(contact_phone)
            except ValidationError as exc:
                errors["contact_phone"] = [str(m) for m in exc.messages]
    if errors:
        raise ValidationFailed(fields=errors)
    survey = YouthSurvey.objects.create(
        community=community,
        respondent_kind=respondent_kind,
        channel=channel,
        organisation=organisation.strip()[:100],
        age=age,
        interests=interests,
        hours_per_week=hours_per_week,
        contact_name=contact_name.strip()[:40],
        contact_phone=normalize_phone(contact_phone) if contact_phone else "",
        consent_to_contact=consent_to_contact,
        volunteer=volunteer,
        surveyed_by=actor,
        is_demo=is_demo,
    )
    audit.record(
        "community.youth_survey.recorded",
        actor=actor,
        target=survey,
        data={"kind": respondent_kind, "channel": channel, "interests": interests},
    )
    return survey
