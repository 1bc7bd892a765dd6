from __future__ import annotations

from shiguang.core.models import AuditEvent
from shiguang.people.models import FamilyLink, VolunteerProfile


def test_volunteer_signs_up_and_waits_for_verification(futian, client):
    response = client.post(
        "/people/signup/volunteer/",
        {
            "name": "小李",
            "phone": "13600136001",
            "password": "long-enough-1",
            "gender": "female",
            "kind": "trainee_lawyer",
            "community": futian["a"].pk,
            "skills": ["legal"],
            "languages": ["cantonese"],
        },
    )
    assert response.status_code == 302
    volunteer = VolunteerProfile.objects.get()
    assert volunteer.verification_status == "pending" and volunteer.skills == ["legal"]
    assert "待核验" in client.get("/").content.decode()


def test_volunteer_signup_rejects_a_taken_phone(futian, elder_a, client):
    response = client.post(
        "/people/signup/volunteer/",
        {
            "name": "小李",
            "phone": "13800138001",
            "password": "long-enough-1",
            "gender": "female",
            "kind": "graduate",
            "community": futian["a"].pk,
        },
    )
    assert response.status_code == 200 and "该手机号已注册" in response.content.decode()
    assert not VolunteerProfile.objects.exists()


def test_family_signs_up_then_elder_links_them_by_phone(elder_a, client, login):
    client.post(
        "/people/signup/family/", {"name": "陈儿子", "phone": "13500135001", "password": "long-enough-1"}
    )
    elder_client = login(elder_a.user)
    elder_client.post(f"/people/elders/{elder_a.pk}/family/", {"phone": "13500135001", "relation": "son"})
    link = FamilyLink.objects.get()
    assert link.family_user.display_name == "陈儿子"
    assert AuditEvent.objects.filter(code="people.family.linked").exists()


def test_linking_an_unknown_phone_says_so(elder_a, login):
    client = login(elder_a.user)
    response = client.post(
        f"/people/elders/{elder_a.pk}/family/", {"phone": "13500135009", "relation": "son"}, follow=True
    )
    assert "请家属先注册" in response.content.decode()
    assert not FamilyLink.objects.exists()
