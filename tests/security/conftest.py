"""The security tests' world: personas of one commune, sentinel applicants of the province and of the
commune, built once per module inside a transaction rolled back at the end.

The tests render viewflow's pages: they need its site middleware like the workflow tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.test import Client

from procedures.models import Agency, Procedure
from tests.workflows.conftest import _viewflow_site_middleware  # noqa: F401
from workflows.choices import AccessPurpose, ApiScope, ComplaintKind, Decision
from workflows.models import ApiClient, Complaint, Dossier, Membership, PersonalDataAccess
from workflows.roles import Role

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A fixed working day: the fixtures' clocks and due moments never depend on when CI runs.
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=VN)

OWN_AGENCY = "DEMO-XA-A"
OTHER_RECEPTION = "DEMO-TTPVHCC"
OTHER_SENTINEL = "SENTINEL-OTHER-AGENCY"
OWN_SENTINEL = "SENTINEL-OWN-AGENCY"
ROLES = [
    Role.DESK_OFFICER,
    Role.SPECIALIST,
    Role.HEAD_OF_UNIT,
    Role.DIRECTOR,
    Role.SUPERVISOR,
    Role.ADMINISTRATOR,
]
PERSONAS = [f"{role.value}@own" for role in ROLES] + ["no-membership", "anonymous"]


# --- the data set ------------------------------------------------------------------------------------------


@dataclass
class World:
    own: Dossier
    others: dict[str, Dossier]
    users: dict[str, object]  # persona → user (None for anonymous)
    keys: dict[str, str] = field(default_factory=dict)  # persona → API key
    clients: dict[str, Client] = field(default_factory=dict)  # persona → logged-in test client
    other_secrets: list[str] = field(default_factory=list)
    own_secrets: list[str] = field(default_factory=list)


def _applicant(tag: str, n: int):
    from workflows.services import Applicant

    return Applicant(
        name=f"{tag}-{n} Nguyễn",
        id_number=f"0012039{tag == OWN_SENTINEL:d}{n:04d}",
        address=f"{tag}-ADDRESS-{n}",
        phone=f"09{n:08d}",
        email=f"{tag.lower()}-{n}@example.vn",
    )


def _secrets(applicant) -> list[str]:
    return [applicant.name.split(" ")[0], applicant.id_number, applicant.address, applicant.email]


def _no_step_procedure(agency_filter) -> Procedure:
    """A procedure whose version has no internal steps (one processing step at the deciding agency)."""
    return (
        Procedure.objects.filter(agency_filter, versions__isnull=False)
        .exclude(versions__steps__isnull=False)
        .order_by("code")
        .first()
    )


def _build() -> World:
    from procedures.services import catalogue_load_demo
    from workflows.roles import role_groups_sync
    from workflows.services import (
        dossier_decide,
        dossier_receive,
        dossier_return_result,
        dossier_step_done,
        dossier_submit,
    )

    catalogue_load_demo()
    groups = role_groups_sync()
    own_agency = Agency.objects.get(code=OWN_AGENCY)
    own_procedure = _no_step_procedure(Q(agency=own_agency))
    other_procedure = _no_step_procedure(~Q(agency__code__startswith="DEMO-XA"))
    assert own_procedure is not None and other_procedure is not None

    world = World(own=None, others={}, users={"anonymous": None})
    own_applicant = _applicant(OWN_SENTINEL, 1)
    world.own = dossier_receive(procedure=own_procedure, applicant=own_applicant, reception_agency=own_agency)
    world.own_secrets = _secrets(own_applicant)

    reception = Agency.objects.get(code=OTHER_RECEPTION)
    for n, state in enumerate(["work", "deliver", "end", "submitted"], start=1):
        applicant = _applicant(OTHER_SENTINEL, n)
        world.other_secrets += _secrets(applicant)
        if state == "submitted":
            dossier = dossier_submit(procedure=other_procedure, applicant=applicant)
        else:
            dossier = dossier_receive(
                procedure=other_procedure, applicant=applicant, reception_agency=reception
            )
        if state in ("deliver", "end"):
            dossier = dossier_step_done(dossier=dossier)
            dossier = dossier_decide(dossier=dossier, outcome=Decision.APPROVED)
        if state == "end":
            dossier = dossier_return_result(dossier=dossier)
        world.others[state] = dossier
    other = world.others["work"]
    Complaint.objects.create(
        dossier=other,
        agency=other.agency,
        kind=ComplaintKind.STAFF,
        content=f"{OTHER_SENTINEL}-COMPLAINT",
        received_at=NOW,
        due_at=NOW,
    )

    User = get_user_model()
    stranger = User.objects.create_user("stranger-desk", email="stranger@example.vn")
    Membership.objects.create(user=stranger, agency=reception, role=Role.DESK_OFFICER)
    PersonalDataAccess.objects.create(user=stranger, dossier=other, purpose=AccessPurpose.DESK_PAGE)
    from django.apps import apps

    if apps.is_installed("django_otp.plugins.otp_totp"):
        # The admin's TOTP pages look their device up by id before anything else (a missing one is a 500).
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=stranger, name="stranger", confirmed=True)

    personas: dict[str, tuple[Role | None, bool]] = {f"{role.value}@own": (role, True) for role in ROLES}
    personas["no-membership"] = (Role.DESK_OFFICER, False)
    for name, (role, member) in personas.items():
        # Staff status for everyone here: the matrix proves the admin is scoped even where a province
        # grants it (the demo grants it to administrators only).
        user = User.objects.create_user(name, email=f"{name}@example.vn", is_staff=True)
        user.groups.set([groups[role]])
        if member:
            Membership.objects.create(user=user, agency=own_agency, role=role)
        world.users[name] = user
        _client, key = ApiClient.objects.create_key(
            name=f"matrix {name}", user=user, scopes=[s.value for s in ApiScope]
        )
        world.keys[name] = key
    for name, user in world.users.items():
        world.clients[name] = Client()
        if user is not None:
            world.clients[name].force_login(user)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            traveller.stop()


@pytest.fixture
def dbx(world, django_db_blocker):
    with django_db_blocker.unblock():
        yield world


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _client(world: World, persona: str) -> tuple[Client, dict]:
    client = world.clients[persona]
    user = world.users[persona]
    if user is not None and "_auth_user_id" not in client.session:
        client.force_login(user)  # a logout route visited earlier ended the session
    headers = {}
    if user is not None and persona in world.keys:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {world.keys[persona]}"
    return client, headers
