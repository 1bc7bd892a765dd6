"""In a real browser at phone width: the elder presses SOS, the countdown runs, the responder's console shows
the alarm live, the responder acknowledges, and the elder's page says help is coming."""

from __future__ import annotations

import pytest

from shiguang.conftest import PASSWORD
from shiguang.core.testing.browser import PHONE, Page, sign_in
from shiguang.sos.models import Alarm

pytestmark = [pytest.mark.browser]


def test_elder_presses_sos_and_the_responder_acknowledges_live(page, browser, asgi_server, elder_a, worker_a):
    # The responder's console is open before anything happens.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    responder = Page(context.new_page(), asgi_server)
    try:
        sign_in(responder, "worker_a", PASSWORD)
        responder.open("/sos/console/")
        responder.wait_for_selector("#console-state:has-text('实时连接正常')")

        sign_in(page, "13800138001", PASSWORD)
        page.open("/sos/")
        page.click("#sos-button")
        # The countdown, with one-tap cancel; cancelling really cancels.
        page.wait_for_selector("#sos-countdown:not(.hidden)")
        assert page.inner_text("#sos-seconds") in {"5", "4"}
        page.check_a11y()
        page.click("#sos-cancel")
        assert page.is_hidden("#sos-countdown")
        assert not Alarm.objects.exists()
        # Pressed for real this time: after the countdown the alarm goes out and the status page opens.
        page.click("#sos-button")
        page.wait_for_url("**/sos/alarms/*/status/", timeout=15_000)
        assert "正在为您呼叫帮助" in page.inner_text("#sos-status-title")
        page.check_a11y()
        alarm = Alarm.objects.get()
        assert alarm.source == "button" and alarm.status == "open"

        # The console shows it live (SSE), without a reload.
        card = f"#alarm-{alarm.id}[data-status='open']"
        responder.wait_for_selector(card)
        assert "陈婆婆" in responder.inner_text(card)
        responder.check_a11y()
        responder.click(f"{card} button[value=ack]")
        responder.wait_for_selector(f"#alarm-{alarm.id}[data-status='acknowledged']")
        responder.check_a11y()

        # The elder's page follows live: help is coming.
        page.wait_for_selector("#sos-status-title:has-text('帮助正在赶来')")
        assert "worker_a" in page.inner_text("#sos-status-text")
        page.check_a11y()
        alarm.refresh_from_db()
        assert alarm.acknowledged_by == worker_a
    finally:
        context.close()


def test_responder_pages_pass_axe(page, elder_a, worker_a, street_staff):
    from shiguang.sos import services

    services.alarm_trigger(actor=worker_a, elder=elder_a, source="worker", note="来电")
    alarm = Alarm.objects.get()
    sign_in(page, "street_nanyuan", PASSWORD)
    for path in (
        f"/sos/alarms/{alarm.id}/",
        "/sos/alarms/",
        "/sos/kpi/",
        "/sos/rosters/",
        "/sos/devices/",
        "/sos/policy/",
        "/sos/checkin/manage/",
        "/sos/reviews/",
        "/sos/raise/",
    ):
        response = page.open(path)
        assert response.status == 200, path
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
