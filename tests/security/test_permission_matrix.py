"""The permission matrix: every URL pattern × every role × {own agency, another agency, no membership,
anonymous}, against the table in ``workflows.security_matrix``.

The applicants of the fixture dossiers carry sentinel strings (name, address, e-mail) and distinct ID
numbers. For every URL pattern of the URLconf (viewflow's and the admin's included):

- no response to an outsider contains another agency's sentinel (lists, search, pages filled with the other
  agency's codes and sequential process/task/object ids);
- every unsafe method (POST, PUT, PATCH, DELETE) an outsider sends is refused and changes nothing;
- every response that shows an applicant has written a ``PersonalDataAccess`` row for that user.

A URL pattern the table does not classify fails ``test_every_url_pattern_is_classified``, so a page cannot
be added unscoped. The data set is built once for the module (inside a transaction rolled back at the end);
the requests use Django's test client with ``force_login`` and API keys for the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.test import Client

from procedures.models import Agency, Procedure
from workflows.choices import AccessPurpose, ApiScope, ComplaintKind, Decision
from workflows.flows import process_of
from workflows.models import (
    ApiClient,
    Complaint,
    Dossier,
    DossierEvent,
    DossierStep,
    Membership,
    OutboxEvent,
    PersonalDataAccess,
)
from workflows.roles import Role
from workflows.security_matrix import AUTH, PUBLIC, SYSTEM, url_routes, verdict

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A fixed working day: the fixtures' clocks and due moments never depend on when CI runs.
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=VN)

OWN_AGENCY = "DEMO-XA-A"
OTHER_RECEPTION = "DEMO-TTPVHCC"
OTHER_SENTINEL = "SENTINEL-OTHER-AGENCY"
OWN_SENTINEL = "SENTINEL-OWN-AGENCY"
UNSAFE = ("post", "put", "patch", "delete")
ROLES = [Role.DESK_OFFICER, Role.SPECIALIST, Role.HEAD_OF_UNIT, Role.DIRECTOR, Role.SUPERVISOR, Role.ADMINISTRATOR]

# Marked so pytest-django creates the test database; each test also runs in its own savepoint, rolled back.
pytestmark = pytest.mark.django_db

ROUTES = url_routes()
ROUTE_IDS = sorted({r.route for r in ROUTES})

# Holes outside the reading scope, found by this matrix: (route, method) → the finding that closes them.
# Each is strict, so the merger sees it flip once the other branch is in.
KNOWN_FAILURES: dict[str, str] = {}


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
            dossier = dossier_receive(procedure=other_procedure, applicant=applicant, reception_agency=reception)
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


# --- filling a route with concrete values -------------------------------------------------------------------

TOKEN = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>[a-z_]+)>")
NODE = re.compile(r"^dossier/<int:process_pk>/(?P<node>[a-z_]+)/<int:task_pk>/")
ADMIN_MODEL = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/")


def _task_of(dossiers: list[Dossier], node: str | None):
    processes = [p for p in (process_of(d) for d in dossiers) if p is not None]
    for process in processes:
        for task in process.task_set.order_by("pk"):
            if node is None or task.flow_task.name == node:
                return task
    return processes[0].task_set.order_by("pk").first()


def _admin_object(app: str, model: str, dossier: Dossier, others: bool) -> str:
    from viewflow.workflow.models import Task

    process = process_of(dossier)
    objects = {
        ("workflows", "dossier"): dossier.pk,
        ("workflows", "dossierevent"): DossierEvent.objects.filter(dossier=dossier).values_list("pk", flat=True)
        .first(),
        ("workflows", "outboxevent"): OutboxEvent.objects.filter(dossier=dossier).values_list("pk", flat=True)
        .first(),
        ("workflows", "complaint"): Complaint.objects.filter(dossier=dossier).values_list("pk", flat=True).first(),
        ("workflows", "personaldataaccess"): PersonalDataAccess.objects.filter(dossier=dossier)
        .values_list("pk", flat=True)
        .first(),
        ("viewflow", "process"): process.pk if process else None,
        ("viewflow", "task"): Task.objects.filter(process=process).values_list("pk", flat=True).first()
        if process
        else None,
    }
    return str(objects.get((app, model)) or 1)


def fill(route: str, world: World, own: bool) -> str:
    """A concrete path for ``route``: the own dossier's ids, or the other agency's."""
    dossier = world.own if own else world.others["work"]
    dossiers = [world.own] if own else list(world.others.values())
    if route == "admin/(?P<url>.*)$":
        return "/admin/khong-co/"
    if route.startswith("admin/^(?P<app_label>"):
        return "/admin/workflows/"
    node = NODE.match(route)
    task = _task_of(dossiers, node["node"] if node else None) if "<int:task_pk>" in route else None
    admin_model = ADMIN_MODEL.match(route)
    process = process_of(dossier)
    values = {
        "code": dossier.code,
        "number": "01",
        "fact": "dong-bo",
        "process_pk": str(task.process_id if task else process.pk),
        "task_pk": str(task.pk) if task else "",
        "content_type_id": str(ContentType.objects.get_for_model(Dossier).pk),
        "object_id": _admin_object(admin_model["app"], admin_model["model"], dossier, not own)
        if admin_model
        else str(dossier.pk),
        "id": str(world.users["stranger-desk"].pk) if "stranger-desk" in world.users else "1",
    }
    if route.startswith("thu-tuc/"):
        values["code"] = dossier.procedure_version.procedure.code
    if route.startswith("thong-ke/"):
        values["code"] = dossier.agency.code
    if route.startswith("admin/r/"):
        values["object_id"] = str(dossier.pk)
    return "/" + TOKEN.sub(lambda m: values[m["name"]], route)


# --- requests ----------------------------------------------------------------------------------------------


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _client(world: World, persona: str) -> tuple[Client, dict]:
    client = world.clients[persona]
    user = world.users[persona]
    headers = {}
    if user is not None and persona in world.keys:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {world.keys[persona]}"
    return client, headers


def _is_api(route: str) -> bool:
    return route.startswith("api/v1/")


def _snapshot() -> tuple:
    """What an unsafe request must not change: the dossiers, their trail, steps, tasks and memberships."""
    from viewflow.workflow.models import Process, Task

    return (
        tuple(Dossier.objects.order_by("pk").values_list("pk", "revision", "status", "rating", "synced_at")),
        DossierEvent.objects.count(),
        tuple(DossierStep.objects.order_by("pk").values_list("pk", "owner_id", "finished_at")),
        tuple(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        tuple(Process.objects.order_by("pk").values_list("pk", "status")),
        Membership.objects.count(),
        Complaint.objects.count(),
        OutboxEvent.objects.count(),
    )


def _data_for(route: str, world: World, dossier: Dossier) -> dict:
    """A form an attacker would send: a valid-looking action for whatever the page accepts."""
    from viewflow.workflow.models import Task

    return {
        "action": "decide",
        "do": "receive",
        "code": world.others["submitted"].code,
        "revision": str(dossier.revision),
        "reason": "Lý do đủ dài để qua mọi kiểm tra của biểu mẫu",
        "outcome": Decision.APPROVED,
        "via": "direct",
        "note": "x",
        "pk": [str(pk) for pk in Task.objects.filter(process=process_of(dossier)).values_list("pk", flat=True)],
        "_confirm": "1",
        "_cancel_process": "1",
        "rating": "1",
        "synced": "on",
    }


def _access_rows(user) -> int:
    return PersonalDataAccess.objects.filter(user=user).count() if user is not None else 0


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_url_pattern_is_classified():
    missing = sorted({r.route for r in ROUTES if verdict(r.route) is None})
    assert missing == [], f"URL patterns missing from workflows.security_matrix: {missing}"


def test_the_matrix_sees_the_sentinels(dbx):
    """The sentinels are detectable: the own desk sees its applicant (and that is logged); if this failed,
    the matrix below could not fail either."""
    client, _headers = _client(dbx, "desk_officer@own")
    before = _access_rows(dbx.users["desk_officer@own"])
    response = client.get(f"/ho-so/{dbx.own.code}/")
    assert response.status_code == 200
    assert OWN_SENTINEL in _body(response)
    assert _access_rows(dbx.users["desk_officer@own"]) == before + 1
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("matrix-root", email="root@example.vn"))
    assert OTHER_SENTINEL in _body(root.get(f"/ho-so/{dbx.others['work'].code}/"))


PERSONAS = [f"{role.value}@own" for role in ROLES] + ["no-membership", "anonymous"]


def _xfail(route: str, kind: str):
    reason = KNOWN_FAILURES.get(f"{kind} {route}")
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.parametrize(
    "route", [pytest.param(r, id=r or "/", marks=_xfail(r, "read")) for r in ROUTE_IDS]
)
def test_no_outsider_reads_another_agency(route, dbx):
    """GET as every persona: the other agency's sentinels never appear; shown applicants are logged."""
    other_path = fill(route, dbx, own=False)
    own_path = fill(route, dbx, own=True)
    paths = {other_path, own_path}
    if route in ("ho-so/", "api/v1/dossiers/") or route.endswith("dossier/") and route.startswith("admin/"):
        paths |= {f"{other_path}?q={dbx.others['work'].applicant_id_number}", f"{other_path}?q={OTHER_SENTINEL}"}
    leaks, unlogged = [], []
    for persona in PERSONAS:
        client, headers = _client(dbx, persona)
        user = dbx.users[persona]
        for path in sorted(paths):
            before = _access_rows(user)
            response = client.get(path, **(headers if _is_api(route) else {}))
            body = _body(response)
            shown = [s for s in dbx.other_secrets if s in body and s not in path]  # a search box echoes q
            if shown:
                leaks.append(f"{persona} GET {path} → {response.status_code} shows {shown[:2]}")
            if any(s in body for s in dbx.own_secrets):
                if persona in ("no-membership", "anonymous"):
                    leaks.append(f"{persona} GET {path} shows the own agency's applicant")
                elif _access_rows(user) == before:
                    unlogged.append(f"{persona} GET {path} shows an applicant without an access-log row")
    assert leaks == [] and unlogged == [], "\n".join(leaks + unlogged)


@pytest.mark.parametrize(
    "route", [pytest.param(r, id=r or "/", marks=_xfail(r, "write")) for r in ROUTE_IDS]
)
def test_no_outsider_changes_anything(route, dbx):
    """POST/PUT/PATCH/DELETE by every outsider: refused, and the dossiers, trail and tasks are unchanged."""
    kind = verdict(route)
    other_path = fill(route, dbx, own=False)
    has_ids = "<" in route or route.startswith("admin/r/")
    # With the other agency's ids every persona is an outsider; without ids only those without a unit.
    outsiders = PERSONAS if has_ids else ["no-membership", "anonymous"]
    problems = []
    for persona in outsiders:
        client, headers = _client(dbx, persona)
        for method in UNSAFE:
            before = _snapshot()
            data = _data_for(route, dbx, dbx.others["work"])
            extra = headers if _is_api(route) else {}
            if method == "post":
                response = getattr(client, method)(other_path, data, **extra)
            else:
                response = getattr(client, method)(other_path, **extra)
            if _snapshot() != before:
                problems.append(f"{persona} {method.upper()} {other_path} changed the data ({response.status_code})")
            if kind in (PUBLIC, AUTH, SYSTEM) and persona in ("no-membership", "anonymous"):
                continue  # public forms answer 200 with their errors; "changes nothing" is the rule there
            if kind in (PUBLIC, AUTH):
                continue
            status = response.status_code
            refused = status >= 400 or (
                status in (301, 302, 303) and ("login" in response.get("Location", "") or method != "post")
            )
            if status in (302, 303) and not refused:
                # A redirect back to the page with an error message is a refusal only if nothing changed.
                refused = _snapshot() == before
            if not refused:
                problems.append(f"{persona} {method.upper()} {other_path} was not refused ({status})")
    assert problems == [], "\n".join(problems)
