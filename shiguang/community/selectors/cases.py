"""Reads of case write-ups, and the masked rendering that is what gets published.

Names: a person linked to a case is shown by name only if they granted the publicity consent
(`ConsentCategory.PUBLICITY`, 案例宣传中使用姓名和事迹). Phone and ID numbers found in the text are masked in
every case; the linked elders' home addresses are masked too.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shiguang.accounts.choices import ConsentCategory, Role
from shiguang.community.choices import CaseStatus
from shiguang.community.models import CaseStory
from shiguang.core.masking import mask_id_number, mask_phone, mask_text
from shiguang.core.scoping import get_scoped, scoped

CASE_NAME_CONSENT: str | None = ConsentCategory.PUBLICITY
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
ROLE_WORDS: dict[str, Any] = {
    Role.ELDER: _("长者"),
    Role.VOLUNTEER: _("志愿者"),
    Role.FAMILY: _("家属"),
}


def mask_name(name: str) -> str:
    """陈桂英 → 陈某; keeps only the first character."""
    name = name.strip()
    return f"{name[0]}某" if name else "某"


def shows_real_name(user: Any) -> bool:
    if CASE_NAME_CONSENT is None:
        return False
    from shiguang.accounts.services import has_consent

    return has_consent(user, CASE_NAME_CONSENT)


def _names_of(user: Any) -> list[str]:
    names = {user.display_name, user.username if user.role != Role.ELDER else ""}
    for attr in ("elder_profile", "volunteer_profile"):
        profile = getattr(user, attr, None)
        if profile is not None:
            names.add(profile.name)
    return sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True)


def _replacements(case: CaseStory) -> tuple[list[tuple[str, str]], dict[int, str]]:
    pairs: list[tuple[str, str]] = []
    shown: dict[int, str] = {}
    for user in case.people.select_related("elder_profile", "volunteer_profile"):
        real = _names_of(user)
        display = user.display_name or (real[0] if real else "")
        if shows_real_name(user):
            shown[user.pk] = display
        else:
            shown[user.pk] = mask_name(display)
            pairs += [(name, mask_name(name)) for name in real]
        profile = getattr(user, "elder_profile", None)
        address = getattr(profile, "address", "") if profile is not None else ""
        if address:
            pairs.append((address, mask_text(address)))
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    return pairs, shown


def mask_case_text(text: str, pairs: list[tuple[str, str]]) -> str:
    for real, masked in pairs:
        text = text.replace(real, masked)
    text = ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def case_public(case: CaseStory) -> dict[str, Any]:
    """The case as published: every text field masked, quotes attributed to masked names and roles."""
    pairs, shown = _replacements(case)
    people = {u.pk: u for u in case.people.all()}
    quotes = []
    for q in case.quotes or []:
        speaker = people.get(q.get("speaker_id")) if q.get("speaker_id") else None
        quotes.append(
            {
                "text": mask_case_text(q.get("text", ""), pairs),
                "speaker": shown.get(speaker.pk, "") if speaker else "",
                "role": str(ROLE_WORDS.get(speaker.role, "")) if speaker else "",
            }
        )
    return {
        "id": case.id,
        "title": mask_case_text(case.title, pairs),
        "kind": case.kind,
        "kind_label": str(case.get_kind_display()),
        "community": str(case.community),
        "summary": mask_case_text(case.summary, pairs),
        "body": mask_case_text(case.body, pairs),
        "outcome": mask_case_text(case.outcome, pairs),
        "hours": float(case.hours) if case.hours is not None else None,
        "quotes": quotes,
        "people": [{"name": shown[u.pk], "role": str(ROLE_WORDS.get(u.role, ""))} for u in people.values()],
        "published_at": case.published_at,
        "status": case.status,
        "status_label": str(case.get_status_display()),
    }


def case_list(actor: Any, *, status: str = "") -> QuerySet[CaseStory]:
    """Published cases for everyone signed in; drafts and reviews for staff in scope."""
    qs = scoped(CaseStory.objects.select_related("community", "drafted_by", "reviewed_by"), actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-published_at", "-updated_at", "-id")


def published_cases(actor: Any) -> QuerySet[CaseStory]:
    return case_list(actor, status=CaseStatus.PUBLISHED)


def case_get(actor: Any, case_id: Any) -> CaseStory:
    return get_scoped(
        CaseStory.objects.select_related("community__street", "drafted_by", "reviewed_by"), actor, pk=case_id
    )
