from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_accept_generates_agreement_and_signing_starts_trial(
    worker_a: Any, accepted: Any, legal: Any
) -> None:
    from shiguang.homeshare import services
    from shiguang.homeshare.models import Visit

    match = accepted
    assert match.status == "accepted"
    version = services.current_version(match)
    assert version is not None and version.number == 1
    assert services.agreement_check(version) == []
    version = services.agreement_finalise(actor=worker_a, version_id=version.pk)
    assert version.status == "final" and len(version.sha256) == 64
    services.agreement_sign(
        actor=match.offer.elder.user, version_id=version.pk, document_sha256=version.sha256
    )
    services.agreement_sign(actor=match.application.volunteer.user, version_id=version.pk)
    services.agreement_sign(actor=legal, version_id=version.pk)
    match.refresh_from_db()
    assert match.status == "trial"
    assert Visit.objects.filter(match=match).count() >= 5
