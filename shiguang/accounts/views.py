from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from shiguang.accounts import selectors, services
from shiguang.accounts.choices import ConsentCategory
from shiguang.accounts.forms import LoginForm, TOTPForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def mfa(request: HttpRequest) -> HttpResponse:
    """Verify a TOTP code; staff without a confirmed device enrol one here first."""
    user: Any = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="default", confirmed=False
        )
    form = TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("两步验证已通过。"))
            return redirect("home")
        form.add_error("token", _("验证码不正确或已过期，请重试。"))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4) if enrolling else ""
    return render(request, "accounts/mfa.html", {"form": form, "enrolling": enrolling, "qr_svg": qr_svg})


@login_required
def consents(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rows = list(selectors.consents_of(user, user))
    active = {c.category for c in rows if c.is_active}
    categories = [{"value": v, "label": label, "active": v in active} for v, label in ConsentCategory.choices]
    return render(request, "accounts/consents.html", {"categories": categories, "history": rows})


@login_required
@require_POST
def consent_toggle(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    category = request.POST.get("category", "")
    if request.POST.get("action") == "grant":
        services.consent_grant(actor=user, subject=user, category=category)
        messages.success(request, _("已记录您的同意。"))
    else:
        services.consent_withdraw(actor=user, subject=user, category=category)
        messages.success(request, _("已撤回同意，相关处理已停止。"))
    return redirect("accounts:consents")
