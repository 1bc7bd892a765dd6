"""The time-bank API: every feature of the pages, with 201/403/404/409/422 and messages."""

from __future__ import annotations

import json

from shiguang.timebank.models import LedgerTransaction

API = "/api/v1/timebank"


def _post(client, path, body):
    return client.post(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def test_me_and_service_posting(login, volunteer_a, elder_a, worker_a):
    client = login(worker_a)
    body = {
        "idempotency_key": "station:duty:1",
        "provider_id": volunteer_a.user.pk,
        "receiver_id": elder_a.user.pk,
        "minutes": 90,
        "category": "medical_escort",
        "source": "manual:陪诊",
    }
    first = _post(client, "/services", body)
    assert first.status_code == 201, first.content
    again = _post(client, "/services", body)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    data = first.json()
    assert data["amount_minutes"] == 90 and data["policy_version"] == 1
    assert sum(p["amount_minutes"] for p in data["postings"]) == 0
    conflict = _post(client, "/services", {**body, "minutes": 30})
    assert conflict.status_code == 409 and "幂等键" in conflict.json()["message"]
    me = login(volunteer_a.user).get(f"{API}/me").json()
    assert me["balance_minutes"] == 90 and me["balance_hours"] == "1.50" and me["stars"] == 0
    assert "不能兑换现金" in me["no_cash"]


def test_service_validation_errors(login, volunteer_a, elder_a):
    client = login(elder_a.user)
    base = {
        "idempotency_key": "k",
        "provider_id": volunteer_a.user.pk,
        "receiver_id": elder_a.user.pk,
        "minutes": 60,
        "category": "shopping",
        "source": "aid",
    }
    for bad in ({"minutes": -5}, {"minutes": 100000}, {"category": "cash"}, {"provider_id": 99999}):
        response = _post(client, "/services", {**base, **bad})
        assert response.status_code == 422, (bad, response.content)
        assert response.json()["message"]
    assert _post(login(volunteer_a.user), "/services", base).status_code == 403
    assert LedgerTransaction.objects.count() == 0


def test_transfers_donations_and_bad_paths(login, post, volunteer_a, elder_b, young_elder, futian):
    post(volunteer_a.user, 120)
    client = login(volunteer_a.user)
    over = _post(client, "/transfers", {"recipient_id": elder_b.user.pk, "minutes": 121})
    assert over.status_code == 409 and "余额不足" in over.json()["message"]
    ineligible = _post(client, "/transfers", {"recipient_id": young_elder.user.pk, "minutes": 10})
    assert ineligible.status_code == 422 and "80" in ineligible.json()["message"]
    negative = _post(client, "/transfers", {"recipient_id": elder_b.user.pk, "minutes": -10})
    assert negative.status_code == 422
    unknown = _post(client, "/transfers", {"recipient_phone": "13911112222", "minutes": 10})
    assert unknown.status_code == 422
    ok = _post(
        client, "/transfers", {"recipient_id": elder_b.user.pk, "minutes": 30, "idempotency_key": "t1"}
    )
    assert ok.status_code == 201 and ok.json()["kind"] == "transfer"
    assert (
        _post(
            client, "/transfers", {"recipient_id": elder_b.user.pk, "minutes": 30, "idempotency_key": "t1"}
        ).json()["id"]
        == ok.json()["id"]
    )
    donation = _post(client, "/donations", {"pool": "community", "minutes": 30})
    assert donation.status_code == 201
    bad_pool = _post(client, "/donations", {"pool": "cash", "minutes": 30})
    assert bad_pool.status_code == 422
    assert login(volunteer_a.user).get(f"{API}/me").json()["balance_minutes"] == 60


def test_eligibility_and_recipients(login, family_a, elder_a, young_elder):
    client = login(family_a)
    relatives = client.get(f"{API}/me/recipients").json()
    assert [r["user_id"] for r in relatives["relatives"]] == [elder_a.user.pk]
    assert "80" in relatives["rule"]
    yes = client.get(f"{API}/eligibility", {"recipient_id": elder_a.user.pk}).json()
    assert yes["eligible"] and yes["relation"] == "relative"
    no = client.get(f"{API}/eligibility", {"phone": "13800138003"}).json()
    assert not no["eligible"] and no["reason"]


def test_grants_redemptions_reversal(login, post, volunteer_a, elder_a, worker_a, district_staff, futian):
    post(volunteer_a.user, 120)
    _post(login(volunteer_a.user), "/donations", {"pool": "community", "minutes": 60})
    worker = login(worker_a)
    grant = _post(
        worker,
        "/grants",
        {
            "pool": "community",
            "community_id": futian["a"].pk,
            "recipient_id": elder_a.user.pk,
            "minutes": 40,
            "reason": "独居",
        },
    )
    assert grant.status_code == 201, grant.content
    not_district = _post(
        worker, "/grants", {"pool": "priority", "recipient_id": elder_a.user.pk, "minutes": 1, "reason": "x"}
    )
    assert not_district.status_code == 403
    redeem = _post(
        login(elder_a.user), "/redemptions", {"idempotency_key": "r1", "minutes": 30, "category": "meal"}
    )
    assert redeem.status_code == 201 and redeem.json()["kind"] == "redemption"
    too_much = _post(
        login(elder_a.user), "/redemptions", {"idempotency_key": "r2", "minutes": 30, "category": "meal"}
    )
    assert too_much.status_code == 409
    by_worker = _post(
        login(worker_a),
        "/redemptions",
        {
            "idempotency_key": "r3",
            "minutes": 10,
            "category": "meal",
            "source": "station",
            "person_account_id": next(
                p["account_id"] for p in grant.json()["postings"] if p["amount_minutes"] > 0
            ),
        },
    )
    assert by_worker.status_code == 201, by_worker.content
    assert (
        _post(
            login(elder_a.user), f"/transactions/{redeem.json()['id']}/reverse", {"reason": "x"}
        ).status_code
        == 403
    )
    worker = login(worker_a)  # one test client: signing in again switches the session
    reversal = _post(worker, f"/transactions/{redeem.json()['id']}/reverse", {"reason": "误操作"})
    assert reversal.status_code == 201 and reversal.json()["reverses_id"] == redeem.json()["id"]
    again = _post(worker, f"/transactions/{redeem.json()['id']}/reverse", {"reason": "误操作"})
    assert again.status_code == 409
    detail = worker.get(f"{API}/transactions/{redeem.json()['id']}").json()
    assert detail["reversed_by_id"] == reversal.json()["id"]


def test_scoping_of_reads(login, post, volunteer_a, volunteer_b, worker_a, worker_b, district_staff, futian):
    txn = post(volunteer_a.user, 60)
    assert login(volunteer_b.user).get(f"{API}/transactions/{txn.pk}").status_code == 404
    assert login(worker_b).get(f"{API}/transactions/{txn.pk}").status_code == 404
    assert login(worker_a).get(f"{API}/transactions/{txn.pk}").status_code == 200
    mine = login(volunteer_a.user).get(f"{API}/transactions").json()
    assert mine["count"] == 1
    assert login(volunteer_b.user).get(f"{API}/transactions").json()["count"] == 0
    assert login(volunteer_a.user).get(f"{API}/accounts").status_code == 403
    accounts = login(worker_a).get(f"{API}/accounts").json()
    assert [a["holder"] for a in accounts["items"]] == ["小王"]
    assert login(worker_b).get(f"{API}/accounts").json()["count"] == 0
    account_id = accounts["items"][0]["id"]
    assert login(worker_b).get(f"{API}/accounts/{account_id}").status_code == 404
    assert login(district_staff).get(f"{API}/accounts/{account_id}/statement").status_code == 200
    assert login(worker_b).get(f"{API}/communities/{futian['a'].pk}/statement").status_code == 404


def test_statements_and_exports(login, post, volunteer_a, worker_a, futian):
    post(volunteer_a.user, 60)
    client = login(volunteer_a.user)
    st = client.get(f"{API}/me/statement").json()
    assert st["closing_minutes"] == 60 and len(st["lines"]) == 1 and st["lines"][0]["balance_minutes"] == 60
    assert client.get(f"{API}/me/statement", {"start": "2026-13-01"}).status_code == 422
    assert client.get(f"{API}/me/statement", {"start": "2030-01-01", "end": "2020-01-01"}).status_code == 422
    pdf = client.get(f"{API}/me/statement/export", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    xlsx = client.get(f"{API}/me/statement/export", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(f"{API}/me/statement/export", {"format": "doc"}).status_code == 422
    series = client.get(f"{API}/me/series").json()
    assert len(series) == 12 and series[-1]["earned"] == 1.0
    worker = login(worker_a)
    community = worker.get(f"{API}/communities/{futian['a'].pk}/statement").json()
    assert community["totals_minutes"]["earned"] == 60 and community["members"][0]["name"] == "小王"
    assert (
        worker.get(f"{API}/communities/{futian['a'].pk}/statement/export", {"format": "xlsx"}).status_code
        == 200
    )
    assert len(worker.get(f"{API}/communities/{futian['a'].pk}/series").json()) == 12
    assert worker.get(f"{API}/pools").status_code == 200


def test_policy_api(login, district_staff, worker_a):
    current = login(worker_a).get(f"{API}/policy").json()
    assert current["version"] == 1 and current["cap_hours"] == "1500.00" and current["in_force"]
    assert current["star_thresholds_hours"] == [100, 300, 600, 1000, 1500]
    body = {"weights": {"medical_escort": "1.5"}, "note": "陪诊1.5倍"}
    assert _post(login(worker_a), "/policies", body).status_code == 403
    created = _post(login(district_staff), "/policies", body)
    assert created.status_code == 201 and created.json()["version"] == 2
    assert created.json()["weights"]["medical_escort"] == "1.50"
    bad = _post(login(district_staff), "/policies", {"weights": {"medical_escort": "50"}, "note": "x"})
    assert bad.status_code == 422 and bad.json()["fields"]
    versions = login(worker_a).get(f"{API}/policies").json()
    assert [p["version"] for p in versions] == [2, 1]
