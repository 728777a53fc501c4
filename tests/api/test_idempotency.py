"""Idempotent intake, one request after another: a retry replays the first answer, never a second dossier."""

from __future__ import annotations

from tests.api.conftest import SUBMIT_BODY, submit
from workflows.models import Dossier, IdempotencyKey


def test_retry_replays_the_first_answer(portal):
    first = submit(portal, key="abc-1")
    again = submit(portal, {**SUBMIT_BODY, "request_summary": SUBMIT_BODY["request_summary"]}, key="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Dossier.objects.count() == 1
    row = IdempotencyKey.objects.get()
    assert row.dossier.code == first.json()["code"] and row.status_code == 201


def test_key_order_and_spacing_do_not_matter(portal):
    first = submit(portal, key="k")
    reordered = dict(reversed(list(SUBMIT_BODY.items())))
    again = portal.post("/api/v1/dossiers/", reordered, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and again.json()["code"] == first.json()["code"]


def test_same_key_other_body_is_422(portal):
    submit(portal, key="k")
    response = submit(portal, {**SUBMIT_BODY, "request_summary": "khác"}, key="k")
    assert response.status_code == 422
    assert response.json()["type"] == "/api/problems/idempotency-key-reused"
    assert Dossier.objects.count() == 1


def test_key_is_required_and_checked(portal):
    response = portal.post("/api/v1/dossiers/", SUBMIT_BODY, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/api/problems/idempotency-key-missing"
    assert body["errors"][0]["field"] == "Idempotency-Key"
    response = submit(portal, key="x" * 256)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Dossier.objects.count() == 0


def test_a_refused_request_does_not_consume_the_key(portal):
    bad = {**SUBMIT_BODY, "procedure": "9.999999"}
    assert submit(portal, bad, key="k").status_code == 400
    assert IdempotencyKey.objects.count() == 0
    assert submit(portal, key="k").status_code == 201


def test_keys_belong_to_their_client(portal, desk):
    mine = submit(portal, key="shared").json()["code"]
    theirs = submit(desk, key="shared").json()["code"]
    assert mine != theirs and Dossier.objects.count() == 2
