from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("手机号或用户名"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "text", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": _("账号或密码不正确。连续输错多次将暂时锁定。"),
        "inactive": _("该账户已停用，请联系社区工作人员。"),
    }


class TOTPForm(forms.Form):
    token = forms.CharField(
        label=_("6位动态验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )

    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"]
        if not token.isdigit():
            raise forms.ValidationError(_("验证码应为6位数字。"))
        return token
