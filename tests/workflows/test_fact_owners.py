"""Facts recorded by their owners: people judged by a figure never record it.

766 indicator 5.4 counts the citizens' ratings: only the applicant rates (the public lookup form) or the desk
on the applicant's explicit behalf, and such a rating is flagged. 766 indicator 1.4 counts dossiers synced to
the national portal: only the system (the portal's acknowledgement, the importer) or an administrator records
it — not the specialist or the head of unit whose handling the figure judges.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from procedures.models import Agency, Procedure
from tests.lifecycle_steps import walk_to_deciding_step
from workflows import policy
from workflows.choices import Event
from workflows.models import Dossier, DossierEvent, Membership
from workflows.roles import Role
from workflows.services import (
    Applicant,
    dossier_decide,
    dossier_rate,
    dossier_receive,
    dossier_return_result,
    dossier_step_done,
    dossier_sync,
)
from workflows.services.facts import dossier_rate_by_citizen
from workflows.services.lifecycle import LifecyclePermissionError

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo"
FACT_EVENTS = {
    Event.E_RESULT,
    Event.DIGITISED,
    Event.VNEID,
    Event.FEE,
    Event.SYNC,
    Event.RATE,
    Event.COMPLAINT,
    Event.COMPLAINT_DONE,
}


@pytest.fixture
def received(demo_users) -> Dossier:
    return dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


@pytest.fixture
def returned(received, demo_users) -> Dossier:
    decided = dossier_decide(dossier=walk_to_deciding_step(received), outcome="approved")
    return dossier_return_result(dossier=decided, via="direct", user=demo_users["motcua"])


def _page(client, username: str, dossier: Dossier) -> str:
    assert client.login(username=username, password=PASSWORD)
    response = client.get(reverse("workflows:dossier", args=[dossier.code]))
    assert response.status_code == 200
    return response.content.decode()


def _fact_url(dossier: Dossier, slug: str) -> str:
    return reverse("workflows:dossier_fact", args=[dossier.code, slug])


def test_every_fact_names_who_may_record_it():
    assert set(policy.FACT_RECORDERS) == FACT_EVENTS


# --- 766 5.4: the rating ---------------------------------------------------------------------------------


def test_a_head_of_unit_cannot_record_the_citizens_rating(client, demo_users, returned):
    with pytest.raises(LifecyclePermissionError, match="người dân"):
        dossier_rate(dossier=returned, rating="like", user=demo_users["truongphong"])
    with pytest.raises(LifecyclePermissionError, match="người dân"):
        dossier_rate(dossier=returned, rating="like", user=demo_users["truongphong"], on_behalf=True)
    body = _page(client, "truongphong", returned)
    assert 'data-fact="danh-gia"' not in body
    client.post(_fact_url(returned, "danh-gia"), {"rating": "like", "on_behalf": "on"})
    returned.refresh_from_db()
    assert returned.rating == ""
    assert not DossierEvent.objects.filter(dossier=returned, event=Event.RATE).exists()


def test_the_desk_records_a_rating_only_on_the_applicants_explicit_behalf(client, demo_users, returned):
    with pytest.raises(LifecyclePermissionError, match="ghi thay"):
        dossier_rate(dossier=returned, rating="dislike", user=demo_users["motcua"])
    body = _page(client, "motcua", returned)
    assert 'data-fact="danh-gia"' in body
    client.post(_fact_url(returned, "danh-gia"), {"rating": "dislike"})  # the box not ticked
    returned.refresh_from_db()
    assert returned.rating == ""
    client.post(_fact_url(returned, "danh-gia"), {"rating": "dislike", "on_behalf": "on"})
    returned.refresh_from_db()
    assert (returned.rating, returned.rating_on_behalf) == ("dislike", True)
    event = DossierEvent.objects.get(dossier=returned, event=Event.RATE)
    assert event.payload == {"rating": "dislike", "on_behalf": True}
    assert event.actor.username == "motcua"


def test_the_applicants_own_rating_is_not_flagged(returned):
    rated = dossier_rate_by_citizen(dossier=returned, rating="like")
    assert (rated.rating, rated.rating_on_behalf) == ("like", False)


# --- 766 1.4: synced to the national portal ---------------------------------------------------------------


def test_the_specialist_holding_the_step_cannot_mark_it_synced(demo_users, received):
    at_b3 = dossier_step_done(dossier=received, user=demo_users["truongphong"])
    assert policy.user_may(demo_users["chuyenvien"], at_b3, policy.STEP)
    with pytest.raises(LifecyclePermissionError, match="Cổng"):
        dossier_sync(dossier=at_b3, user=demo_users["chuyenvien"])
    at_b3.refresh_from_db()
    assert at_b3.synced_at is None


@pytest.mark.parametrize("username", ["truongphong", "motcua"])
def test_the_desk_and_the_head_of_unit_cannot_mark_it_synced(client, demo_users, received, username):
    with pytest.raises(LifecyclePermissionError, match="Cổng"):
        dossier_sync(dossier=received, user=demo_users[username])
    body = _page(client, username, received)
    assert 'data-fact="dong-bo"' not in body
    client.post(_fact_url(received, "dong-bo"))
    received.refresh_from_db()
    assert received.synced_at is None
    assert not DossierEvent.objects.filter(dossier=received, event=Event.SYNC).exists()


def test_the_system_and_an_administrator_mark_it_synced(client, demo_users, received):
    admin = get_user_model().objects.create_user("quantri_so", password=PASSWORD)
    Membership.objects.create(user=admin, agency=received.agency, role=Role.ADMINISTRATOR)
    body = _page(client, "quantri_so", received)
    assert 'data-fact="dong-bo"' in body
    client.post(_fact_url(received, "dong-bo"))
    received.refresh_from_db()
    assert received.synced_at is not None
    assert DossierEvent.objects.get(dossier=received, event=Event.SYNC).actor == admin

    other = dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        applicant=Applicant(name="Lê Văn Cường", id_number="001203088888"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )
    assert dossier_sync(dossier=other).synced_at is not None  # the system (user None)
