"""Every write of the legal centre: clauses, consultations, reviews, mediation cases."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from shiguang.accounts.choices import STAFF_ROLES, Role
from shiguang.accounts.models import User
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.core.scoping import get_scoped, in_scope
from shiguang.legal import registry
from shiguang.legal.choices import (
    ConsultationOutcome,
    ConsultationStatus,
    ConsultationTopic,
    MediationCategory,
    MediationOutcome,
    MediationStatus,
    ReviewStatus,
)
from shiguang.legal.models import Clause, Consultation, MediationCase, MediationSession, ReviewRequest
from shiguang.places.models import Community


def is_advisor(user: Any) -> bool:
    return bool(
        user.is_authenticated and (user.role in (Role.LEGAL_ADVISOR, Role.ADMIN) or user.is_superuser)
    )


def require_advisor(user: Any) -> None:
    if not is_advisor(user):
        raise Forbidden(_("只有法律顾问可以执行此操作。"))


def advisors_for(community: Community) -> list[User]:
    """Legal advisors who serve the district of `community` (they receive review and mediation notices)."""
    return list(
        User.objects.filter(
            role=Role.LEGAL_ADVISOR, is_active=True, district_id=community.street.district_id
        ).order_by("id")
    )


def _notify(users: list[User], template: str, data: dict[str, Any], link: str, key: str) -> None:
    from shiguang.notify.services import enqueue

    for user in users:
        enqueue(recipient=user, template=template, data=data, link=link, dedupe_key=f"{key}:{user.pk}")


def _locked(model: Any, actor: Any, pk: Any, *related: str) -> Any:
    """Fetch a row inside the actor's scope, then lock it (scoped() uses DISTINCT, which cannot be locked)."""
    obj = get_scoped(model.objects.all(), actor, pk=pk)
    qs = model.objects.select_for_update(of=("self",))
    if related:
        qs = qs.select_related(*related)
    return qs.get(pk=obj.pk)


# --- clause library -----------------------------------------------------------------------------------------


def placeholders_in(text: str) -> list[str]:
    """Placeholder names used in a clause text; raises ValueError on malformed braces."""
    found = []
    for _literal, name, spec, conv in string.Formatter().parse(text):
        if name is None:
            continue
        if not name or spec or conv or not name.isidentifier():
            raise ValueError(name or "{}")
        found.append(name)
    return found


@transaction.atomic
def clause_save(
    *,
    actor: User,
    domain: str,
    key: str,
    title: str,
    text: str,
    element: str = "",
    position: int | None = None,
    note: str = "",
) -> Clause:
    """Add a new version of a clause (or its first version); the previous version stays on record."""
    require_advisor(actor)
    spec = registry.document(domain)
    errors: dict[str, list[str]] = {}
    if spec is None:
        errors["domain"] = [_("未知的文书类别。")]
    key = key.strip()
    if not key or not key.replace("_", "").replace("-", "").isalnum() or not key.isascii():
        errors["key"] = [_("条款标识只能包含英文字母、数字、下划线。")]
    if not title.strip():
        errors["title"] = [_("请填写标题。")]
    if not text.strip():
        errors["text"] = [_("请填写条款文本。")]
    else:
        try:
            used = placeholders_in(text)
        except ValueError as exc:
            errors["text"] = [_("占位符格式有误：{%(name)s}。请使用 {名称} 的形式。") % {"name": exc}]
        else:
            unknown = sorted({p for p in used if spec is not None and p not in spec.placeholders})
            if unknown:
                errors["text"] = [
                    _("未知的占位符：%(names)s。可用的占位符见页面下方列表。")
                    % {"names": "、".join("{" + u + "}" for u in unknown)}
                ]
    if element and spec is not None and element not in spec.elements:
        errors["element"] = [_("未知的核心要件。")]
    if errors:
        raise ValidationFailed(fields=errors)
    current = Clause.objects.select_for_update().filter(domain=domain, key=key, is_current=True).first()
    if (
        current is not None
        and (current.title, current.text, current.element)
        == (
            title.strip(),
            text,
            element,
        )
        and (position is None or position == current.position)
    ):
        raise ValidationFailed(fields={"text": [_("内容没有变化，无需保存新版本。")]})
    last = Clause.objects.filter(domain=domain, key=key).aggregate(v=Max("version"))["v"] or 0
    if current is not None:
        Clause.objects.filter(pk=current.pk).update(is_current=False)
    clause = Clause.objects.create(
        domain=domain,
        key=key,
        version=last + 1,
        position=position if position is not None else (current.position if current else 100),
        element=element,
        title=title.strip(),
        text=text,
        is_current=True,
        change_note=note.strip()[:200],
        created_by=actor,
    )
    audit.record(
        "legal.clause.saved",
        actor=actor,
        target=clause,
        data={"domain": domain, "key": key, "version": clause.version},
    )
    return clause


# --- consultations ------------------------------------------------------------------------------------------


def _community_of(user: User) -> Community | None:
    profile = getattr(user, "elder_profile", None) or getattr(user, "volunteer_profile", None)
    if profile is not None:
        return profile.community
    return user.community


@transaction.atomic
def consultation_create(
    *,
    actor: User,
    topic: str,
    question: str,
    requester: User | None = None,
    subject: Any = None,
) -> Consultation:
    """An elder, a youth or a worker asks; a worker may ask for an elder in their community (`requester`)."""
    requester = requester or actor
    if requester.pk != actor.pk and (actor.role not in STAFF_ROLES or not in_scope(requester, actor)):
        raise Forbidden(_("只能为本辖区的居民登记法律咨询。"))
    errors: dict[str, list[str]] = {}
    if topic not in ConsultationTopic.values:
        errors["topic"] = [_("请选择咨询类别。")]
    if len(question.strip()) < 5:
        errors["question"] = [_("请把问题写得具体一些（至少5个字）。")]
    community = _community_of(requester)
    if community is None:
        errors["requester"] = [_("该账户没有所属社区，无法登记咨询。")]
    if errors:
        raise ValidationFailed(fields=errors)
    assert community is not None
    consultation = Consultation.objects.create(
        community=community,
        requester=requester,
        raised_by=actor,
        topic=topic,
        question=question.strip(),
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
    )
    audit.record(
        "legal.consultation.created",
        actor=actor,
        on_behalf_of=requester if requester.pk != actor.pk else None,
        target=consultation,
        data={"topic": topic},
    )
    _notify(
        advisors_for(community),
        "legal.consultation.created",
        {"topic": str(ConsultationTopic(topic).label)},
        f"/legal/consultations/{consultation.pk}/",
        f"legal:consultation:{consultation.pk}:new",
    )
    return consultation


@transaction.atomic
def consultation_answer(
    *,
    actor: User,
    consultation_id: int,
    answer: str,
    outcome: str,
    notes: str = "",
    close: bool = False,
) -> Consultation:
    require_advisor(actor)
    consultation = _locked(Consultation, actor, consultation_id)
    if consultation.status == ConsultationStatus.CLOSED:
        raise Conflict(_("该咨询已结案。"))
    errors: dict[str, list[str]] = {}
    if len(answer.strip()) < 5:
        errors["answer"] = [_("请填写解答内容。")]
    if outcome not in ConsultationOutcome.values:
        errors["outcome"] = [_("请选择处理结果。")]
    if errors:
        raise ValidationFailed(fields=errors)
    now = clock.now()
    consultation.answer = answer.strip()
    consultation.advisor_notes = notes.strip()
    consultation.outcome = outcome
    consultation.advisor = actor
    consultation.answered_at = consultation.answered_at or now
    consultation.status = ConsultationStatus.CLOSED if close else ConsultationStatus.ANSWERED
    consultation.closed_at = now if close else None
    consultation.save()
    audit.record(
        "legal.consultation.answered",
        actor=actor,
        target=consultation,
        data={"outcome": outcome, "closed": close},
    )
    _notify(
        [consultation.requester],
        "legal.consultation.answered",
        {"topic": str(consultation.get_topic_display())},
        f"/legal/consultations/{consultation.pk}/",
        f"legal:consultation:{consultation.pk}:answered:{int(now.timestamp())}",
    )
    return consultation


@transaction.atomic
def consultation_close(*, actor: User, consultation_id: int) -> Consultation:
    consultation = _locked(Consultation, actor, consultation_id)
    if not (is_advisor(actor) or actor.pk in (consultation.requester_id, consultation.raised_by_id)):
        raise Forbidden()
    if consultation.status == ConsultationStatus.CLOSED:
        raise Conflict(_("该咨询已结案。"))
    consultation.status = ConsultationStatus.CLOSED
    consultation.closed_at = clock.now()
    consultation.save(update_fields=["status", "closed_at"])
    audit.record("legal.consultation.closed", actor=actor, target=consultation)
    return consultation


# --- reviews ------------------------------------------------------------------------------------------------


def _subject_ref(subject: Any) -> tuple[ContentType, str]:
    return ContentType.objects.get_for_model(subject), str(subject.pk)


@transaction.atomic
def review_open(
    *, actor: User, subject: Any, community: Community, title: str, summary: str = ""
) -> ReviewRequest:
    """Put a document in the review queue (called by the domain that owns the document)."""
    ctype, sid = _subject_ref(subject)
    if ReviewRequest.objects.filter(subject_type=ctype, subject_id=sid, status=ReviewStatus.PENDING).exists():
        raise Conflict(_("该文书已在审核队列中。"))
    try:
        with transaction.atomic():
            review = ReviewRequest.objects.create(
                subject_type=ctype,
                subject_id=sid,
                community=community,
                title=title[:200],
                summary=summary,
                requested_by=actor,
            )
    except IntegrityError:
        raise Conflict(_("该文书已在审核队列中。")) from None
    audit.record("legal.review.opened", actor=actor, target=review, data={"subject": f"{ctype.model}:{sid}"})
    _notify(
        advisors_for(community),
        "legal.review.requested",
        {"title": review.title},
        f"/legal/reviews/{review.pk}/",
        f"legal:review:{review.pk}",
    )
    return review


@transaction.atomic
def review_decide(*, actor: User, review_id: int, approve: bool, notes: str = "") -> ReviewRequest:
    require_advisor(actor)
    review = _locked(ReviewRequest, actor, review_id)
    if review.status != ReviewStatus.PENDING:
        raise Conflict(_("该审核已处理。"))
    if not approve and len(notes.strip()) < 5:
        raise ValidationFailed(fields={"notes": [_("退回修改时请写明需要修改的内容。")]})
    review.status = ReviewStatus.APPROVED if approve else ReviewStatus.CHANGES
    review.decided_by = actor
    review.decided_at = clock.now()
    review.notes = notes.strip()
    review.save(update_fields=["status", "decided_by", "decided_at", "notes"])
    audit.record("legal.review.decided", actor=actor, target=review, data={"approved": approve})
    handler = registry.handler_for(review.subject)
    if handler is not None and handler.on_review_decided is not None:
        handler.on_review_decided(review=review, actor=actor)
    return review


@transaction.atomic
def review_withdraw_for(*, actor: User, subject: Any, reason: str = "") -> int:
    """Withdraw any pending review of `subject` (e.g. the document was replaced by a new version)."""
    ctype, sid = _subject_ref(subject)
    reviews = list(
        ReviewRequest.objects.select_for_update().filter(
            subject_type=ctype, subject_id=sid, status=ReviewStatus.PENDING
        )
    )
    for review in reviews:
        review.status = ReviewStatus.WITHDRAWN
        review.notes = reason[:500]
        review.decided_at = clock.now()
        review.save(update_fields=["status", "notes", "decided_at"])
        audit.record("legal.review.withdrawn", actor=actor, target=review, data={"reason": reason[:200]})
    return len(reviews)


def review_for(subject: Any) -> ReviewRequest | None:
    ctype, sid = _subject_ref(subject)
    return ReviewRequest.objects.filter(subject_type=ctype, subject_id=sid).order_by("-id").first()


# --- mediation ----------------------------------------------------------------------------------------------


@transaction.atomic
def mediation_open(
    *,
    actor: User,
    subject: Any,
    community: Community,
    title: str,
    category: str,
    issue: str,
    parties: list[User],
) -> MediationCase:
    """Open a case (a worker, a legal advisor or one of the parties asks the legal centre to mediate)."""
    if not (is_advisor(actor) or actor.role in STAFF_ROLES or actor in parties):
        raise Forbidden(_("只有当事人、社区工作人员或法律顾问可以申请调解。"))
    errors: dict[str, list[str]] = {}
    if category not in MediationCategory.values:
        errors["category"] = [_("请选择争议类别。")]
    if len(issue.strip()) < 5:
        errors["issue"] = [_("请写明争议事项。")]
    if len(parties) < 2:
        errors["parties"] = [_("调解至少需要两方当事人。")]
    if errors:
        raise ValidationFailed(fields=errors)
    ctype, sid = _subject_ref(subject)
    if MediationCase.objects.filter(subject_type=ctype, subject_id=sid, status=MediationStatus.OPEN).exists():
        raise Conflict(_("该事项已有进行中的调解案件。"))
    case = MediationCase.objects.create(
        subject_type=ctype,
        subject_id=sid,
        community=community,
        title=title[:200],
        category=category,
        issue=issue.strip(),
        opened_by=actor,
        mediator=actor if is_advisor(actor) else None,
    )
    case.parties.set(parties)
    audit.record(
        "legal.mediation.opened",
        actor=actor,
        target=case,
        data={"category": category, "subject": f"{ctype.model}:{sid}"},
    )
    recipients = {u.pk: u for u in [*advisors_for(community), *parties] if u.pk != actor.pk}
    _notify(
        list(recipients.values()),
        "legal.mediation.opened",
        {"title": case.title},
        f"/legal/mediation/{case.pk}/",
        f"legal:mediation:{case.pk}:opened",
    )
    return case


@transaction.atomic
def mediation_session_add(
    *,
    actor: User,
    case_id: int,
    attendees: str,
    summary: str,
    agreed_actions: str = "",
    held_at: dt.datetime | None = None,
    next_session_at: dt.datetime | None = None,
) -> MediationSession:
    require_advisor(actor)
    case = _locked(MediationCase, actor, case_id)
    if case.status != MediationStatus.OPEN:
        raise Conflict(_("案件已结案，不能再添加调解记录。"))
    errors: dict[str, list[str]] = {}
    if not attendees.strip():
        errors["attendees"] = [_("请填写参加人员。")]
    if len(summary.strip()) < 5:
        errors["summary"] = [_("请填写调解经过。")]
    held_at = held_at or clock.now()
    if held_at.tzinfo is None:
        held_at = held_at.replace(tzinfo=clock.SHANGHAI)
    if next_session_at is not None and next_session_at.tzinfo is None:
        next_session_at = next_session_at.replace(tzinfo=clock.SHANGHAI)
    if held_at > clock.now() + dt.timedelta(hours=1):
        errors["held_at"] = [_("调解时间不能晚于现在。")]
    if next_session_at is not None and next_session_at <= held_at:
        errors["next_session_at"] = [_("下次调解时间应晚于本次。")]
    if errors:
        raise ValidationFailed(fields=errors)
    session = MediationSession.objects.create(
        case=case,
        held_at=held_at,
        mediator=actor,
        attendees=attendees.strip()[:300],
        summary=summary.strip(),
        agreed_actions=agreed_actions.strip(),
        next_session_at=next_session_at,
    )
    if case.mediator_id is None:
        case.mediator = actor
        case.save(update_fields=["mediator"])
    audit.record("legal.mediation.session_added", actor=actor, target=session, data={"case": case.pk})
    return session


@transaction.atomic
def mediation_close(*, actor: User, case_id: int, outcome: str, note: str) -> MediationCase:
    """Close with an outcome; the subject's domain reacts (e.g. homeshare ends the match or reopens the
    agreement) in the same transaction."""
    require_advisor(actor)
    case = _locked(MediationCase, actor, case_id)
    if case.status != MediationStatus.OPEN:
        raise Conflict(_("案件已结案。"))
    errors: dict[str, list[str]] = {}
    if outcome not in MediationOutcome.values:
        errors["outcome"] = [_("请选择调解结果。")]
    if len(note.strip()) < 2:
        errors["note"] = [_("请写明结果说明。")]
    if not case.sessions.exists():
        errors["__all__"] = [_("结案前请至少记录一次调解。")]
    if errors:
        raise ValidationFailed(fields=errors)
    case.status = MediationStatus.CLOSED
    case.outcome = outcome
    case.outcome_note = note.strip()
    case.closed_at = clock.now()
    case.save(update_fields=["status", "outcome", "outcome_note", "closed_at"])
    audit.record("legal.mediation.closed", actor=actor, target=case, data={"outcome": outcome})
    handler = registry.handler_for(case.subject)
    if handler is not None and handler.on_mediation_closed is not None:
        handler.on_mediation_closed(case=case, actor=actor)
    _notify(
        [p for p in case.parties.all() if p.pk != actor.pk],
        "legal.mediation.closed",
        {"title": case.title, "outcome": str(MediationOutcome(outcome).label)},
        f"/legal/mediation/{case.pk}/",
        f"legal:mediation:{case.pk}:closed",
    )
    return case


def mediation_open_for(subject: Any) -> MediationCase | None:
    ctype, sid = _subject_ref(subject)
    return MediationCase.objects.filter(
        subject_type=ctype, subject_id=sid, status=MediationStatus.OPEN
    ).first()
