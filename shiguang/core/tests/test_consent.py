from __future__ import annotations

import pytest

from shiguang.accounts import services as account_services
from shiguang.accounts.models import Consent
from shiguang.core.errors import ConsentRequired, Forbidden, ValidationFailed
from shiguang.people import services


def test_withdrawing_consent_stops_processing_that_needs_it(elder_a, worker_a):
    worker_a.can_unmask = True
    account_services.consent_grant(actor=worker_a, subject=elder_a.user, category="health", method="paper")
    assert (
        services.elder_reveal(actor=worker_a, elder=elder_a, field="health_notes", purpose="上门前了解")
        == "高血压"
    )
    account_services.consent_withdraw(actor=elder_a.user, subject=elder_a.user, category="health")
    with pytest.raises(ConsentRequired):
        services.elder_reveal(actor=worker_a, elder=elder_a, field="health_notes", purpose="上门前了解")
    with pytest.raises(ConsentRequired):
        services.elder_update(actor=worker_a, elder=elder_a, changes={"health_notes": "糖尿病"})


def test_consent_records_who_when_how(elder_a, worker_a):
    consent = account_services.consent_grant(
        actor=worker_a, subject=elder_a.user, category="location", method="verbal"
    )
    assert consent.recorded_by == worker_a and consent.method == "verbal" and consent.granted_at
    with pytest.raises(ValidationFailed):  # a worker cannot tick "online" for the elder
        account_services.consent_grant(
            actor=worker_a, subject=elder_a.user, category="health", method="online"
        )


def test_worker_cannot_record_consent_outside_scope(elder_b, worker_a):
    with pytest.raises(Forbidden):
        account_services.consent_grant(
            actor=worker_a, subject=elder_b.user, category="health", method="paper"
        )
    assert not Consent.objects.exists()


def test_elder_page_grant_and_withdraw(elder_a, login):
    client = login(elder_a.user)
    client.post("/accounts/consents/toggle/", {"category": "share_contact", "action": "grant"})
    assert account_services.has_consent(elder_a.user, "share_contact")
    client.post("/accounts/consents/toggle/", {"category": "share_contact", "action": "withdraw"})
    assert not account_services.has_consent(elder_a.user, "share_contact")
    page = client.get("/accounts/consents/").content.decode()
    assert "向志愿者提供联系方式" in page
