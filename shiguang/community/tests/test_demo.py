"""The demo builder runs on the tiny Futian demo, through the services, and leaves a usable week."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from shiguang.community import selectors
from shiguang.community.models import Activity, CaseStory, Certification, OutreachVisit, Signup
from shiguang.core.audit import verify_chain
from shiguang.people.models import ElderProfile


@pytest.mark.django_db
def test_demo_builds_this_weeks_activities_and_the_rest():
    out = io.StringIO()
    call_command("demo_data", "--scale", "tiny", stdout=out, stderr=io.StringIO())  # runs community/demo.py
    assert "社区生活: 5 weekly + 3 one-off activities" in out.getvalue()
    elder = ElderProfile.objects.get(user__username="demo-elder")
    near = list(selectors.activities_for_elder(elder))
    assert len(near) >= 6 and all(a.is_demo for a in Activity.objects.all())
    assert Signup.objects.filter(elder=elder, status="confirmed").count() == 2
    # 3 from the training demo (the SOS demo may add the responder certificate)
    assert Certification.objects.filter(volunteer__user__username="demo-volunteer").count() >= 3
    assert OutreachVisit.objects.count() == 12
    assert CaseStory.objects.filter(status="published").count() == 1
    assert "陈桂英" not in selectors.case_public(CaseStory.objects.get(status="published"))["summary"]
    assert verify_chain().ok
