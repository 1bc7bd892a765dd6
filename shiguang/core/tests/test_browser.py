"""Sign in as an elder and as a worker in a real browser, at phone width, with no axe-core violations."""

from __future__ import annotations

import pytest

from shiguang.conftest import PASSWORD
from shiguang.core.testing.browser import sign_in

pytestmark = [pytest.mark.browser]


def _style(page, selector: str, prop: str) -> float:
    return float(
        page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).{prop}").rstrip("px") or 0
    )


def test_elder_signs_in_and_sees_big_buttons(page, elder_a):
    sign_in(page, "13800138001", PASSWORD)
    page.check_a11y()
    assert "陈婆婆，您好" in page.inner_text("h1")
    assert _style(page, "body", "fontSize") >= 18
    assert _style(page, "body", "lineHeight") / _style(page, "body", "fontSize") >= 1.3
    for box in page.eval_on_selector_all(
        ".big-btn, button", "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert box >= 60
    # No horizontal scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("text=隐私与同意")
    page.check_a11y()
    page.locator("form:has(input[value=health]) button").click()
    assert "已记录您的同意" in page.inner_text(".messages")


def test_worker_signs_in_finds_elder_and_reveals_with_a_reason(page, elder_a, worker_a):
    worker_a.can_unmask = True
    worker_a.save()
    sign_in(page, "worker_a", PASSWORD)
    page.check_a11y()
    assert page.locator("[data-chart] svg").count() == 1  # dashboard chart rendered
    page.open("/people/elders/")
    page.fill("input[name=q]", "陈")
    page.wait_for_selector("#results a:has-text('陈婆婆')")
    page.click("#results a:has-text('陈婆婆')")
    page.check_a11y()
    assert "138****8001" in page.content()
    page.select_option("select[name=field]", "phone")
    page.fill("input[name=purpose]", "电话回访")
    page.click("#reveal button[type=submit]")
    page.wait_for_selector("[data-revealed]")
    assert page.inner_text("[data-revealed]") == "13800138001"
    page.check_a11y()


def test_wrong_password_shows_a_clear_message(page, elder_a):
    sign_in(page, "13800138001", "wrong-password")
    assert "账号或密码不正确" in page.content()
    page.check_a11y()


def test_network_page_shows_coverage_chart_and_map(page, worker_a):
    sign_in(page, "worker_a", PASSWORD)
    page.open("/places/")
    page.wait_for_selector("[data-chart] svg")
    page.wait_for_selector(".leaflet-interactive")
    assert "33%" in page.inner_text(".stat")
