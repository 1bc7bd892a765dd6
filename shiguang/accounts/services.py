"""Every write of accounts: users, consents, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shiguang.accounts.choices import STAFF_ROLES, ConsentCategory, ConsentMethod, Role
from shiguang.accounts.models import ApiToken, Consent, User
from shiguang.accounts.validators import normalize_phone, validate_phone
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, ConsentRequired, Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import in_scope

PLACE_FOR_ROLE = {
    Role.COMMUNITY_WORKER: "community",
    Role.STREET_STAFF: "street",
    Role.DISTRICT_STAFF: "district",
}


def phone_taken(phone: str, *, exclude_user_id: int | None = None) -> bool:
    from shiguang.accounts.backends import phone_index

    qs = User.objects.filter(phone_index=phone_index(phone))
    if exclude_user_id:
        qs = qs.exclude(id=exclude_user_id)
    return qs.exists()


@transaction.atomic
def user_create(
    *,
    actor: Any,
    role: str,
    display_name: str,
    phone: str = "",
    password: str | None = None,
    username: str | None = None,
    community: Any = None,
    street: Any = None,
    district: Any = None,
    is_demo: bool = False,
) -> User:
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("未知角色。")]
    if not display_name.strip():
        errors["display_name"] = [_("请填写姓名。")]
    if phone:
        try:
            validate_phone(phone)
        except Exception as exc:
            errors["phone"] = [str(m) for m in getattr(exc, "messages", [exc])]
        else:
            phone = normalize_phone(phone)
            if phone_taken(phone):
                errors["phone"] = [_("该手机号已注册。")]
    needed = PLACE_FOR_ROLE.get(Role(role)) if role in Role.values else None
    if needed and {"community": community, "street": street, "district": district}[needed] is None:
        errors[needed] = [_("该角色必须指定所属区域。")]
    if errors:
        raise ValidationFailed(fields=errors)
    user = User(
        username=username or User.new_username(),
        display_name=display_name.strip(),
        role=role,
        phone=phone,
        community=community,
        street=street or (community.street if community is not None else None),
        district=district or (street.district if street is not None else None),
        is_staff=role in STAFF_ROLES,
        is_demo=is_demo,
    )
    if user.district is None and community is not None:
        user.district = community.street.district
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record("accounts.user.created", actor=actor, target=user, data={"role": role})
    return user


def has_consent(subject: User, category: str) -> bool:
    return Consent.objects.filter(subject=subject, category=category, withdrawn_at__isnull=True).exists()


def require_consent(subject: User, category: str) -> None:
    """Processing that needs a consent calls this first."""
    if not has_consent(subject, category):
        raise ConsentRequired(
            _("本人尚未同意处理“%(category)s”，此操作无法进行。")
            % {"category": ConsentCategory(category).label}
        )


def _may_record_consent_for(actor: User, subject: User) -> bool:
    if actor.pk == subject.pk:
        return True
    return actor.role in STAFF_ROLES and in_scope(subject, actor)


@transaction.atomic
def consent_grant(
    *, actor: User, subject: User, category: str, method: str = ConsentMethod.ONLINE, note: str = ""
) -> Consent:
    if category not in ConsentCategory.values:
        raise ValidationFailed(fields={"category": [_("未知的同意类别。")]})
    if method not in ConsentMethod.values:
        raise ValidationFailed(fields={"method": [_("未知的同意方式。")]})
    if not _may_record_consent_for(actor, subject):
        raise Forbidden()
    if actor.pk != subject.pk and method == ConsentMethod.ONLINE:
        raise ValidationFailed(fields={"method": [_("代为记录时请选择纸质、口头或电话方式。")]})
    if (
        Consent.objects.select_for_update()
        .filter(subject=subject, category=category, withdrawn_at__isnull=True)
        .exists()
    ):
        raise Conflict(_("该类别已有有效的同意记录。"))
    consent = Consent.objects.create(
        subject=subject, category=category, method=method, recorded_by=actor, note=note[:200]
    )
    on_behalf = subject if actor.pk != subject.pk else None
    audit.record(
        "accounts.consent.granted",
        actor=actor,
        on_behalf_of=on_behalf,
        target=consent,
        data={"category": category, "method": method},
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, subject: User, category: str) -> Consent:
    if not _may_record_consent_for(actor, subject):
        raise Forbidden()
    consent = (
        Consent.objects.select_for_update()
        .filter(subject=subject, category=category, withdrawn_at__isnull=True)
        .first()
    )
    if consent is None:
        raise NotFound(_("没有可撤回的有效同意。"))
    consent.withdrawn_at = clock.now()
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit.record(
        "accounts.consent.withdrawn",
        actor=actor,
        on_behalf_of=subject if actor.pk != subject.pk else None,
        target=consent,
        data={"category": category},
    )
    return consent


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user: User, name: str, expires_at: Any = None) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is shown once and never stored."""
    key = "sg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:60] or "app", key_hash=_hash_token(key), expires_at=expires_at
    )
    audit.record("accounts.token.issued", actor=user, target=token, data={"name": token.name})
    return token, key


def token_user(key: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(key)).first()
    if token is None or not token.is_valid or not token.user.is_active:
        return None
    ApiToken.objects.filter(id=token.id).update(last_used_at=clock.now())
    return token.user


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(id=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    if not updated:
        raise NotFound()
    audit.record("accounts.token.revoked", actor=user, data={"token_id": token_id})
