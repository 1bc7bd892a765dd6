from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shiguang.conftest import PASSWORD


def test_elder_signs_in_with_phone_in_any_common_format(elder_a, client):
    response = client.post("/accounts/login/", {"username": "138-0013-8001", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == elder_a.user


def test_staff_sign_in_with_username(worker_a, client):
    assert client.post("/accounts/login/", {"username": "worker_a", "password": PASSWORD}).status_code == 302


def test_wrong_password_is_a_clear_message(elder_a, client):
    response = client.post("/accounts/login/", {"username": "13800138001", "password": "nope"})
    assert response.status_code == 200 and "账号或密码不正确" in response.content.decode()


def test_lockout_after_repeated_failures(elder_a, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "13800138001", "password": "bad"})
    response = client.post("/accounts/login/", {"username": "13800138001", "password": PASSWORD})
    assert response.status_code == 429
    assert "暂时锁定" in response.content.decode()


def test_idle_session_expires(worker_a, login):
    """Each request pushes expiry SESSION_IDLE_MINUTES ahead; idle that long and the session is gone."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = login(worker_a)
    assert client.get("/").status_code == 200
    session = Session.objects.get()
    remaining = session.expire_date - timezone.now()
    assert (
        dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1)
        < remaining
        <= dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    )
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))  # idle past the limit
    assert client.get("/").url.startswith("/accounts/login/")


def test_staff_must_enrol_and_pass_totp_when_required(worker_a, client, settings):
    settings.STAFF_MFA_REQUIRED = True
    client.post("/accounts/login/", {"username": "worker_a", "password": PASSWORD})
    assert client.get("/people/elders/").url == "/accounts/mfa/"
    page = client.get("/accounts/mfa/")
    assert "<svg" in page.content.decode()  # enrolment QR code
    device = TOTPDevice.objects.get(user=worker_a)
    wrong = client.post("/accounts/mfa/", {"token": "000000"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down retries after a failure
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert client.post("/accounts/mfa/", {"token": token}).status_code == 302
    assert client.get("/people/elders/").status_code == 200


def test_elders_are_not_asked_for_totp(elder_a, client, settings):
    settings.STAFF_MFA_REQUIRED = True
    client.post("/accounts/login/", {"username": "13800138001", "password": PASSWORD})
    assert client.get("/").status_code == 200


def _run_check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "ALLOWED_HOSTS", "DATABASE_URL")
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings_production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY is required"),
        (
            {
                "SECRET_KEY": "s" * 60,
                "ALLOWED_HOSTS": "x.org",
                "FIELD_ENCRYPTION_KEYS": "not-a-key",
                "BLIND_INDEX_KEY": "b" * 20,
            },
            "FIELD_ENCRYPTION_KEYS must be",
        ),
        (
            {
                "SECRET_KEY": "s" * 60,
                "ALLOWED_HOSTS": "x.org",
                "FIELD_ENCRYPTION_KEYS": settings.DEV_FIELD_KEY,
                "BLIND_INDEX_KEY": "b" * 20,
            },
            "must not use the development keys",
        ),
        ({"DATABASE_URL": "mysql://x@y/z"}, "SQLite or PostgreSQL"),
        ({"DEBUG": "maybe"}, "DEBUG has a bad value"),
    ],
)
def test_production_settings_refuse_to_start_with_missing_or_bad_env(env, message):
    result = _run_check(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "scripts/check_deploy.py"],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
