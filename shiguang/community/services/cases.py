"""Case write-ups (案例): a worker drafts from real records, a street/district approver publishes.

What is published is always the masked rendering (`selectors.case_public`): the names of the people linked
to the case are masked unless they consented (see `casetext.CASE_NAME_CONSENT`), and phone/ID numbers in the
text are always masked.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.accounts.models import User
from shiguang.community.choices import CaseKind, CaseStatus
from shiguang.community.models import CaseStory
from shiguang.community.services._common import APPROVER_ROLES, is_worker, require_worker
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import in_scope, scoped

EDITABLE = {"title", "kind", "summary", "body", "source_ref", "hours", "outcome", "quotes", "person_ids"}
MAX_QUOTES = 10


def _validate(data: dict[str, Any], actor: Any) -> tuple[dict[str, Any], list[User], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "title" in data:
        title = str(data["title"] or "").strip()
        if not title or len(title) > 80:
            errors["title"] = [_("请填写标题（不超过80个字）。")]
        clean["title"] = title
    if "kind" in data:
        if data["kind"] not in CaseKind.values:
            errors["kind"] = [_("请选择案例类别。")]
        clean["kind"] = data["kind"]
    if "summary" in data:
        summary = str(data["summary"] or "").strip()
        if not summary:
            errors["summary"] = [_("请填写摘要。")]
        elif len(summary) > 1000:
            errors["summary"] = [_("摘要不超过1000字。")]
        clean["summary"] = summary
    for key, limit in (("body", 10000), ("outcome", 2000), ("source_ref", 120)):
        if key in data:
            value = str(data[key] or "").strip()
            if len(value) > limit:
                errors[key] = [_("内容过长（不超过%(n)s字）。") % {"n": limit}]
            clean[key] = value
    if "hours" in data:
        hours = data["hours"]
        if hours in (None, ""):
            clean["hours"] = None
        else:
            try:
                amount = Decimal(str(hours)).quantize(Decimal("0.1"))
                if not Decimal(0) <= amount <= Decimal(100000):
                    raise InvalidOperation
                clean["hours"] = amount
            except (InvalidOperation, ValueError):
                errors["hours"] = [_("服务时长应为0到100000之间的数字（小时）。")]
    people: list[User] = []
    if "person_ids" in data:
        ids = []
        for raw in data["person_ids"] or []:
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                errors["person_ids"] = [_("人员编号应为数字。")]
        found = {u.pk: u for u in scoped(User.objects.filter(pk__in=ids), actor)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            errors["person_ids"] = [
                _("找不到编号为 %(ids)s 的人员，或不在您的辖区。") % {"ids": "、".join(missing)}
            ]
        people = [found[i] for i in dict.fromkeys(ids) if i in found]
    if "quotes" in data:
        quotes = []
        raw_quotes = data["quotes"] or []
        if not isinstance(raw_quotes, list) or len(raw_quotes) > MAX_QUOTES:
            errors["quotes"] = [_("引述最多%(n)s条。") % {"n": MAX_QUOTES}]
            raw_quotes = []
        allowed = {u.pk for u in people} if "person_ids" in data else None
        for q in raw_quotes:
            text = str((q or {}).get("text", "")).strip() if isinstance(q, dict) else ""
            speaker: Any = q.get("speaker_id") if isinstance(q, dict) else None
            if not text or len(text) > 300:
                errors["quotes"] = [_("每条引述需填写内容，且不超过300字。")]
                continue
            if speaker not in (None, ""):
                try:
                    speaker = int(speaker)
                except (TypeError, ValueError):
                    speaker = -1
                if allowed is not None and speaker not in allowed:
                    errors["quotes"] = [_("引述人必须是案例涉及的人员。")]
                    continue
            else:
                speaker = None
            quotes.append({"text": text, "speaker_id": speaker})
        clean["quotes"] = quotes
    return clean, people, errors


@transaction.atomic
def case_draft(
    *,
    actor: Any,
    title: str,
    kind: str,
    summary: str,
    community: Any = None,
    body: str = "",
    source_ref: str = "",
    hours: Any = None,
    outcome: str = "",
    quotes: list[dict[str, Any]] | None = None,
    person_ids: list[int] | None = None,
    is_demo: bool = False,
) -> CaseStory:
    require_worker(actor, _("案例由社区工作人员撰写。"))
    community = community or actor.community
    data = {
        "title": title,
        "kind": kind,
        "summary": summary,
        "body": body,
        "source_ref": source_ref,
        "hours": hours,
        "outcome": outcome,
        "quotes": quotes or [],
        "person_ids": person_ids or [],
    }
    clean, people, errors = _validate(data, actor)
    if community is None:
        errors["community"] = [_("请选择案例所属社区。")]
    elif not in_scope(community, actor):
        errors["community"] = [_("该社区不在您的辖区。")]
    if errors:
        raise ValidationFailed(fields=errors)
    case = CaseStory.objects.create(community=community, drafted_by=actor, is_demo=is_demo, **clean)
    case.people.set(people)
    audit.record(
        "community.case.drafted",
        actor=actor,
        target=case,
        data={"kind": kind, "people": [u.pk for u in people], "source_ref": clean["source_ref"]},
    )
    return case


def _case(actor: Any, case_id: Any) -> CaseStory:
    try:
        case = (
            CaseStory.objects.select_for_update(of=("self",))
            .select_related("community")
            .filter(pk=int(case_id))
            .first()
        )
    except (TypeError, ValueError):
        case = None
    if case is None:
        raise NotFound(_("找不到该案例。"))
    staff = is_worker(actor) and in_scope(case.community, actor)
    if not staff and case.status != CaseStatus.PUBLISHED:
        raise NotFound(_("找不到该案例。"))
    return case


@transaction.atomic
def case_update(*, actor: Any, case_id: int, changes: dict[str, Any]) -> CaseStory:
    case = _case(actor, case_id)
    if not (is_worker(actor) and in_scope(case.community, actor)):
        raise Forbidden()
    if case.status not in (CaseStatus.DRAFT, CaseStatus.RETURNED):
        raise Conflict(_("只有草稿或退回修改的案例可以编辑。"))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(fields={k: [_("该字段不可修改。")] for k in unknown})
    if "quotes" in changes and "person_ids" not in changes:
        changes = {**changes, "person_ids": list(case.people.values_list("pk", flat=True))}
    clean, people, errors = _validate(changes, actor)
    if errors:
        raise ValidationFailed(fields=errors)
    for key, value in clean.items():
        setattr(case, key, value)
    case.save()
    if "person_ids" in changes:
        case.people.set(people)
    audit.record("community.case.updated", actor=actor, target=case, data={"fields": sorted(changes)})
    return case


@transaction.atomic
def case_submit(*, actor: Any, case_id: int) -> CaseStory:
    from shiguang.notify.services import enqueue

    case = _case(actor, case_id)
    if not (is_worker(actor) and in_scope(case.community, actor)):
        raise Forbidden()
    if case.status not in (CaseStatus.DRAFT, CaseStatus.RETURNED):
        raise Conflict(_("该案例已提交或已发布。"))
    case.status = CaseStatus.SUBMITTED
    case.submitted_at = clock.now()
    case.save(update_fields=["status", "submitted_at"])
    approvers = User.objects.filter(
        is_active=True, role=Role.STREET_STAFF, street_id=case.community.street_id
    ).exclude(pk=actor.pk)
    for approver in approvers:
        enqueue(
            recipient=approver,
            template="community.case.submitted",
            data={"title": case.title, "community": str(case.community)},
            link=reverse("community:case_detail", args=[case.id]),
            dedupe_key=f"community:case:{case.id}:submitted:{case.submitted_at.timestamp()}:{approver.pk}",
        )
    audit.record("community.case.submitted", actor=actor, target=case)
    return case


@transaction.atomic
def case_review(*, actor: Any, case_id: int, approve: bool, note: str = "") -> CaseStory:
    """Street or district staff publish a submitted case, or return it with a note. Not your own draft."""
    from shiguang.notify.services import enqueue

    case = _case(actor, case_id)
    if not ((actor.is_superuser or actor.role in APPROVER_ROLES) and in_scope(case.community, actor)):
        raise Forbidden(_("案例由街道或区民政局工作人员审核发布。"))
    if case.drafted_by_id == actor.pk:
        raise Forbidden(_("不能审核自己撰写的案例。"))
    if case.status != CaseStatus.SUBMITTED:
        raise Conflict(_("只有待审核的案例可以审核。"))
    if not approve and not note.strip():
        raise ValidationFailed(fields={"note": [_("退回时请写明修改意见。")]})
    case.status = CaseStatus.PUBLISHED if approve else CaseStatus.RETURNED
    case.reviewed_by = actor
    case.review_note = note.strip()[:300]
    if approve:
        case.published_at = clock.now()
    case.save(update_fields=["status", "reviewed_by", "review_note", "published_at"])
    enqueue(
        recipient=case.drafted_by,
        template="community.case.published" if approve else "community.case.returned",
        data={"title": case.title, "note": case.review_note or "—"},
        link=reverse("community:case_detail", args=[case.id]),
        dedupe_key=f"community:case:{case.id}:reviewed:{clock.now().timestamp()}",
    )
    audit.record(
        "community.case.published" if approve else "community.case.returned",
        actor=actor,
        target=case,
        data={"note": case.review_note},
    )
    return case


@transaction.atomic
def case_withdraw(*, actor: Any, case_id: int, reason: str) -> CaseStory:
    case = _case(actor, case_id)
    if not ((actor.is_superuser or actor.role in APPROVER_ROLES) and in_scope(case.community, actor)):
        raise Forbidden(_("只有街道或区民政局工作人员可以撤下已发布的案例。"))
    if case.status != CaseStatus.PUBLISHED:
        raise Conflict(_("只有已发布的案例可以撤下。"))
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写撤下原因。")]})
    case.status = CaseStatus.WITHDRAWN
    case.review_note = reason.strip()[:300]
    case.save(update_fields=["status", "review_note"])
    audit.record("community.case.withdrawn", actor=actor, target=case, data={"reason": case.review_note})
    return case
