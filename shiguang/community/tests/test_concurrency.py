"""Several processes sign up and cancel at once on PostgreSQL: never over capacity, the queue order holds,
every freed place goes to the first person waiting, and no elder is signed up twice."""

from __future__ import annotations

import pytest

from shiguang.community.models import ActivityReminder, Signup
from shiguang.core.audit import verify_chain
from shiguang.core.testing.procs import run_parallel

pytestmark = [pytest.mark.postgres]
JOBS = "shiguang.community.tests.concurrency_jobs"


def _check_queue(activity) -> tuple[list[Signup], list[Signup]]:
    active = list(Signup.objects.filter(activity=activity).exclude(status="cancelled").order_by("seq"))
    confirmed = [s for s in active if s.status == "confirmed"]
    waitlisted = [s for s in active if s.status == "waitlisted"]
    assert len(confirmed) == min(activity.capacity, len(active))
    # The confirmed places are always the earliest active sign-ups: the waitlist is served in order.
    assert active[: len(confirmed)] == confirmed
    seqs = list(Signup.objects.filter(activity=activity).values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs))
    return confirmed, waitlisted


def test_concurrent_signups_and_cancellations_respect_capacity_and_order(
    transactional_db, make_activity, make_elders
):
    activity = make_activity(capacity=5)
    elders = make_elders(32)
    first_wave = [e.id for e in elders[:24]]
    results = run_parallel(f"{JOBS}.sign_up", [(activity.id, first_wave[i::4]) for i in range(4)])
    assert sum(len(r) for r in results) == 24
    assert sum(r.count("confirmed") for r in results) == 5
    confirmed, waitlisted = _check_queue(activity)
    assert len(confirmed) == 5 and len(waitlisted) == 19
    assert sorted(s.seq for s in Signup.objects.filter(activity=activity)) == list(range(1, 25))

    # Second wave: two processes cancel (confirmed and waitlisted people), two sign new people up.
    cancel_ids = [s.elder_id for s in confirmed[:3]] + [s.elder_id for s in waitlisted[:3]]
    newcomers = [e.id for e in elders[24:]]
    done = run_parallel(
        f"{JOBS}.churn",
        [
            (activity.id, cancel_ids[0::2], []),
            (activity.id, cancel_ids[1::2], []),
            (activity.id, [], newcomers[0::2]),
            (activity.id, [], newcomers[1::2]),
        ],
    )
    assert sum(d["cancelled"] for d in done) == 6 and sum(d["signed"] for d in done) == 8
    confirmed, waitlisted = _check_queue(activity)
    assert len(confirmed) == 5 and len(waitlisted) == 24 - 6 + 8 - 5
    promoted = [s for s in confirmed if s.promoted_at is not None]
    assert len(promoted) == 3  # exactly the three freed places
    for s in confirmed:
        assert ActivityReminder.objects.filter(signup=s, done_at__isnull=True).count() == 2
    assert not ActivityReminder.objects.filter(signup__status="waitlisted", done_at__isnull=True).exists()
    assert verify_chain().ok


def test_the_same_elder_racing_themselves_gets_one_place(transactional_db, make_activity, make_elders):
    activity = make_activity(capacity=3)
    (elder,) = make_elders(1)
    with pytest.raises(AssertionError) as exc:
        run_parallel(f"{JOBS}.sign_up", [(activity.id, [elder.id]) for _ in range(4)])
    assert "Conflict" in str(exc.value)  # the others were told they had already signed up
    assert Signup.objects.filter(activity=activity, elder=elder).count() == 1
