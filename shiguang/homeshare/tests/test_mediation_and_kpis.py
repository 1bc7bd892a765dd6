"""Mediation tied to a match (outcomes act on the match), the funnel and the KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shiguang.core import clock
from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.homeshare import selectors, services
from shiguang.homeshare.tests.test_monitoring import T0
from shiguang.legal import services as legal_services
from shiguang.legal.models import MediationCase
from shiguang.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def living(worker_a: Any, accepted: Any, legal: Any) -> Any:
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    for user in (accepted.offer.elder.user, accepted.application.volunteer.user, legal):
        services.agreement_sign(actor=user, version_id=version.pk)
    accepted.refresh_from_db()
    return accepted


def open_case(match: Any) -> MediationCase:
    return services.mediation_request(
        actor=match.offer.elder.user, match_id=match.pk, category="help_hours", issue="青年最近很少帮忙买菜。"
    )


def session(legal: Any, case: MediationCase) -> None:
    legal_services.mediation_session_add(
        actor=legal,
        case_id=case.pk,
        attendees="陈婆婆、小王、社工",
        summary="双方说明情况，青年加班较多。",
        agreed_actions="改为周末买菜",
    )


def test_mediation_opened_by_a_party_notifies_the_legal_centre(living: Any, legal: Any) -> None:
    case = open_case(living)
    assert set(case.parties.values_list("pk", flat=True)) == {
        living.offer.elder.user_id,
        living.application.volunteer.user_id,
    }
    assert case.subject == living and case.status == "open"
    assert Notification.objects.filter(template="legal.mediation.opened", recipient=legal).exists()
    with pytest.raises(Conflict):
        open_case(living)


def test_outcome_ended_ends_the_match(living: Any, legal: Any) -> None:
    case = open_case(living)
    with pytest.raises(ValidationFailed):  # no session recorded yet
        legal_services.mediation_close(actor=legal, case_id=case.pk, outcome="ended", note="双方同意结束同住")
    with pytest.raises(Forbidden):
        legal_services.mediation_close(
            actor=living.offer.elder.user, case_id=case.pk, outcome="ended", note="x" * 6
        )
    session(legal, case)
    legal_services.mediation_close(actor=legal, case_id=case.pk, outcome="ended", note="双方同意结束同住")
    living.refresh_from_db()
    assert living.status == "ended" and living.end_reason == "mediation"
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "ended")


def test_outcome_agreement_changed_asks_for_a_new_version(living: Any, legal: Any, worker_a: Any) -> None:
    case = open_case(living)
    session(legal, case)
    legal_services.mediation_close(
        actor=legal, case_id=case.pk, outcome="agreement_changed", note="改为周末帮忙"
    )
    living.refresh_from_db()
    assert living.status == "trial"
    assert Notification.objects.filter(
        template="homeshare.mediation.agreement_changed", recipient=worker_a
    ).exists()
    v2 = services.agreement_revise(
        actor=worker_a, match_id=living.pk, changes={"help_hours_per_week": 4}, note="调解后修改"
    )
    assert v2.number == 2


def test_outcome_resolved_keeps_the_match(living: Any, legal: Any) -> None:
    case = open_case(living)
    session(legal, case)
    legal_services.mediation_close(actor=legal, case_id=case.pk, outcome="resolved", note="双方和解")
    living.refresh_from_db()
    assert living.status == "trial"


def test_mediation_needs_a_living_match(worker_a: Any, offer_a: Any, app_a: Any) -> None:
    match = services.match_propose(actor=worker_a, offer_id=offer_a.pk, application_id=app_a.pk)
    with pytest.raises(Conflict):
        services.mediation_request(
            actor=worker_a, match_id=match.pk, category="other", issue="还没入住就吵架了"
        )


def test_funnel_counts_stages_and_dropouts(worker_a: Any, living: Any, youth: Any) -> None:
    from shiguang.homeshare.tests.conftest import YOUTH2_ID, application_data

    other = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data()
    )
    services.dropout(actor=worker_a, kind="application", pk=other.pk, reason="no_match", note="等了很久")
    data = selectors.funnel(worker_a)
    stages = {s["key"]: s for s in data["stages"]}
    assert stages["interested"]["applications"] == 2 and stages["interested"]["offers"] == 1
    assert stages["vetted"]["applications"] == 1
    assert stages["trial"]["offers"] == 1 and stages["trial"]["applications"] == 1
    assert stages["active"]["offers"] == 0
    assert data["dropouts"] == [{"key": "no_match", "label": "没有合适的配对", "value": 1}]
    assert data["by_place"][0]["living"] == 2
    assert selectors.kpis(worker_a)["dropouts_no_match"] == 1


def test_kpis(worker_a: Any, living: Any) -> None:
    today = living.started_on + dt.timedelta(days=200)
    k = selectors.kpis(worker_a, today=today)
    assert k["elders_matched_within_4_months"] == {"eligible": 1, "matched": 1, "rate": 1.0}
    assert k["matches_started"] == 1
    assert k["lasting_over_6_months"] == {"eligible": 1, "lasting": 1, "rate": 1.0}
    assert k["average_length_days"] == 200.0
    early = selectors.kpis(worker_a, today=living.started_on + dt.timedelta(days=30))
    assert early["lasting_over_6_months"]["eligible"] == 0 and early["lasting_over_6_months"]["rate"] is None
    rows = selectors.kpis_by_place(worker_a)
    assert rows and rows[0]["label"] == "南园"


def test_kpi_scope(worker_b: Any, living: Any) -> None:
    """A worker of another community sees none of these numbers."""
    assert selectors.kpis(worker_b)["matches_started"] == 0
    assert all(s["offers"] == 0 for s in selectors.funnel(worker_b)["stages"])


def test_frozen_clock_helpers() -> None:
    assert T0.tzinfo is not None and clock.local(T0).hour == 10
