from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from shiguang.accounts import selectors, services
from shiguang.accounts.models import User
from shiguang.core.api import responses, user_of
from shiguang.core.errors import Forbidden, Unauthenticated, ValidationFailed

router = Router()


class AccountMeOut(Schema):
    id: int
    display_name: str
    role: str
    role_label: str
    community_id: int | None
    street_id: int | None
    district_id: int | None


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=128)
    name: str = Field("app", max_length=60)


class TokenOut(Schema):
    token: str
    token_id: int


class ConsentIn(Schema):
    category: str
    method: str = "online"
    note: str = ""


class ConsentOut(Schema):
    id: int
    category: str
    category_label: str
    method: str
    granted_at: str
    withdrawn_at: str | None
    recorded_by: str


def _me(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "display_name": str(user),
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "community_id": user.community_id,
        "street_id": user.street_id,
        "district_id": user.district_id,
    }


@router.get("/me", response=responses(AccountMeOut), summary="The signed-in user")
def me(request: HttpRequest) -> dict[str, object]:
    return _me(user_of(request))


@router.post(
    "/token",
    auth=None,
    response=responses(TokenOut, 201),
    summary="Exchange phone/username + password for a bearer token",
)
def token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    if request.content_type != "application/json":
        # Lockout bookkeeping reads the body as a form; accept only the JSON this operation documents.
        raise ValidationFailed(
            _("请以 JSON 格式提交。"), fields={"__all__": [_("Content-Type 应为 application/json。")]}
        )
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise Unauthenticated(_("账号或密码不正确。"))
    if user.is_staff_role:
        raise Forbidden(_("工作人员请通过网页登录并完成两步验证。"))
    row, key = services.token_issue(user=user, name=payload.name)
    return Status(201, {"token": key, "token_id": row.id})


@router.get("/consents", response=responses(list[ConsentOut]), summary="My consent records")
def consents(request: HttpRequest) -> list[dict[str, object]]:
    return [selectors.consent_row(c) for c in selectors.consents_of(user_of(request), user_of(request))]


@router.post("/consents", response=responses(ConsentOut, 201), summary="Grant a consent")
def consent_grant(request: HttpRequest, payload: ConsentIn) -> Status[dict[str, object]]:
    user = user_of(request)
    consent = services.consent_grant(
        actor=user, subject=user, category=payload.category, method=payload.method, note=payload.note
    )
    return Status(201, selectors.consent_row(consent))


@router.delete("/consents/{category}", response=responses(ConsentOut), summary="Withdraw a consent")
def consent_withdraw(request: HttpRequest, category: str) -> dict[str, object]:
    user = user_of(request)
    return selectors.consent_row(services.consent_withdraw(actor=user, subject=user, category=category))
