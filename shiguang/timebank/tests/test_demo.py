"""The time-bank demo builds on the tiny Futian demo through the services and leaves a verified ledger."""

from __future__ import annotations

import random

import pytest

from shiguang.accounts.models import User
from shiguang.core.audit import verify_chain
from shiguang.demo import builders, futian
from shiguang.timebank import demo, selectors
from shiguang.timebank.models import LedgerTransaction, TimebankPolicy
from shiguang.timebank.verify import verify_ledger


@pytest.mark.django_db
def test_demo_builds_a_verified_year_of_hours():
    rng = random.Random(440304)
    ids = builders.Identities(rng)
    places = builders.build_places(rng, builders.no_bar)
    personas = builders.build_personas(rng, places, ids, builders.no_bar)
    builders.build_elders(rng, places, ids, futian.SCALES["tiny"].elders, builders.no_bar)
    builders.build_volunteers(
        rng, places, ids, futian.SCALES["tiny"].volunteers, personas.admin, builders.no_bar
    )
    summary = demo.build(scale="tiny", rng=random.Random(1))
    assert summary.startswith("timebank:") and "verified" in summary
    assert verify_ledger().ok and verify_chain().ok
    assert TimebankPolicy.objects.count() == 2
    assert LedgerTransaction.objects.filter(kind="reversal").count() == 1
    volunteer = User.objects.get(username="demo-volunteer")
    elder = User.objects.get(username="demo-elder")
    assert selectors.account_of(volunteer).earned >= 6 * 120
    assert selectors.balance_for(elder) > 0
    months = {p.created_at.month for p in LedgerTransaction.objects.filter(kind="service")}
    assert len(months) > 3  # history for the charts
