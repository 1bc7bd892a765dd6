"""In a real browser at phone width: an elder signs up from the home page in at most three taps; a
volunteer enrols in a course session, the worker marks attendance and the pass, and the volunteer sees the
certificate."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.community import services
from shiguang.community.models import Course, SessionEnrollment, Signup
from shiguang.community.services._common import add_months
from shiguang.conftest import PASSWORD
from shiguang.core import clock
from shiguang.core.testing.browser import sign_in

pytestmark = [pytest.mark.browser]


def _height(page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => e.getBoundingClientRect().height"))


def test_elder_signs_up_for_an_activity_from_home_in_three_taps(page, elder_a, worker_a, station):
    start = clock.now() + dt.timedelta(days=2)
    activity = services.activity_create(
        actor=worker_a,
        facility=station,
        title="粤剧欣赏会",
        kind="culture",
        start_at=start,
        end_at=start + dt.timedelta(hours=2),
        capacity=20,
        tags=["粤剧"],
    )
    sign_in(page, "13800138001", PASSWORD)  # lands on the home page
    taps = 0

    tile = page.locator("a.big-btn", has_text="社区活动")
    assert _height(page, "a.big-btn[href='/community/']") >= 60
    tile.click()
    taps += 1
    page.wait_for_load_state("load")
    page.check_a11y()
    card = page.locator(f"#activity-{activity.id}")
    assert "粤剧欣赏会" in card.inner_text() and "测试甲站" in card.inner_text()
    button = card.locator("button", has_text="报名")
    assert _height(page, f"#activity-{activity.id} button") >= 60
    button.click()
    taps += 1
    page.wait_for_selector(f"#activity-{activity.id} .msg-success")
    assert "报名成功" in page.inner_text(f"#activity-{activity.id}")
    page.check_a11y()

    assert taps <= 3
    signup = Signup.objects.get(activity=activity, elder=elder_a)
    assert signup.status == "confirmed" and signup.channel == "self"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_volunteer_attends_a_course_and_sees_the_certification(
    page, courses, approved_volunteer, worker_a, station
):
    course = Course.objects.get(code="anti-fraud")
    start = clock.now() + dt.timedelta(hours=2)
    session = services.session_create(
        actor=worker_a,
        course_id=course.id,
        facility=station,
        start_at=start,
        end_at=start + dt.timedelta(hours=2),
        capacity=20,
        trainer_name="派出所 李警官",
    )
    sign_in(page, "13700137001", PASSWORD)
    page.locator("a.big-btn", has_text="培训与证书").click()
    page.wait_for_load_state("load")
    page.check_a11y()
    page.click(f"button[data-enroll='{session.id}']")
    page.wait_for_load_state("load")
    assert "报名成功" in page.inner_text(".messages")
    page.check_a11y()
    enrollment = SessionEnrollment.objects.get(session=session, volunteer=approved_volunteer)

    with clock.frozen(start + dt.timedelta(minutes=90)):  # during the session
        page.context.clear_cookies()
        sign_in(page, "worker_a", PASSWORD)
        page.open(f"/community/training/sessions/{session.id}/")
        page.check(f"#att-{enrollment.id}")
        page.select_option(f"#res-{enrollment.id}", "passed")
        page.click(f"#enrollment-{enrollment.id} button[type=submit]")
        page.wait_for_selector(f"#enrollment-{enrollment.id}:has-text('证书至')")
        page.check_a11y()

        page.context.clear_cookies()
        sign_in(page, "13700137001", PASSWORD)
        page.open("/community/certifications/")
        cert = page.locator("[data-cert='anti_fraud']")
        assert "防诈骗" in cert.inner_text() and "有效" in cert.inner_text()
        expires = add_months(clock.local(start).date(), course.validity_months)
        assert expires.isoformat() in cert.inner_text()
