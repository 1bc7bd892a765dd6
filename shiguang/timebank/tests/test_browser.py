"""'My hours' in a real browser at 360 px: big text and targets, no horizontal scrolling, no axe violations,
and giving hours away from the phone."""

from __future__ import annotations

import pytest

from shiguang.conftest import PASSWORD
from shiguang.core.testing.browser import sign_in
from shiguang.timebank import selectors, services

pytestmark = [pytest.mark.browser]


def _px(page, selector: str, prop: str) -> float:
    return float(
        page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).{prop}").rstrip("px") or 0
    )


def test_elder_sees_her_hours_and_gives_some_away(page, post, volunteer_a, elder_a, ledger_flush):
    post(volunteer_a.user, 60)
    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_a.user, minutes=45)
    sign_in(page, "13800138001", PASSWORD)
    page.open("/timebank/")
    assert page.inner_text("h1") == "我的时间"
    assert "0.75 小时" in page.inner_text("#balance")
    assert "0 星" in page.inner_text("#stars")
    assert "不能兑换现金" in page.content()
    assert _px(page, "body", "fontSize") >= 18
    assert _px(page, "#balance", "fontSize") >= 28
    for height in page.eval_on_selector_all(
        ".big-btn", "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert height >= 60
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("text=转赠或捐赠时间")
    page.wait_for_load_state("load")
    page.check_a11y()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.check("input[value=priority]")
    page.fill("input[name=hours]", "0.25")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.check_a11y()
    assert "已转出 0.25 小时" in page.inner_text(".messages")
    assert "0.50 小时" in page.inner_text("#balance")
    assert selectors.priority_pool().balance == 15


def test_volunteer_sees_stars_chart_and_statement(page, post, volunteer_a, ledger_flush):
    post(volunteer_a.user, 90, category="medical_escort")
    sign_in(page, "13700137001", PASSWORD)
    page.open("/timebank/")
    page.wait_for_selector("[data-chart] svg")
    assert "1.50 小时" in page.inner_text("#balance")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("text=查看全部明细")
    page.wait_for_load_state("load")
    page.check_a11y()
    assert "为陈婆婆提供陪诊服务 90 分钟" in page.content()
