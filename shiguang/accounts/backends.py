"""Sign in with a phone number (elders, volunteers, family) or a username (staff)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from shiguang.accounts.models import User
from shiguang.accounts.validators import normalize_phone
from shiguang.core.crypto import blind_index


def phone_index(phone: str) -> str:
    return blind_index(normalize_phone(phone), purpose="accounts.user.phone")


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.filter(phone_index=phone_index(username)).first()
        if user is None:
            User().set_password(password)  # same work as a real check, against timing probes
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
