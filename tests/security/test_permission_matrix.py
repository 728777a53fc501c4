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

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from tests.security.conftest import (
    OTHER_SENTINEL,
    OWN_SENTINEL,
    PERSONAS,
    World,
    _body,
    _client,
)
from workflows.choices import Decision
from workflows.flows import process_of
from workflows.models import (
    Complaint,
    Dossier,
    DossierEvent,
    DossierStep,
    Membership,
    OutboxEvent,
    PersonalDataAccess,
)
from workflows.security_matrix import (
    ADMIN,
    ADMIN_SCOPED,
    API,
    AUTH,
    FLOW,
    PUBLIC,
    SCOPED,
    SYSTEM,
    url_routes,
    verdict,
)

UNSAFE = ("post", "put", "patch", "delete")
DOSSIER_VERDICTS = {SCOPED, FLOW, ADMIN_SCOPED, API}
NO_DOSSIER_PERSONAS = ["desk_officer@own", "administrator@own", "no-membership", "anonymous"]

# Marked so pytest-django creates the test database; each test also runs in its own savepoint, rolled back.
pytestmark = pytest.mark.django_db

ROUTES = url_routes()
ROUTE_IDS = sorted({r.route for r in ROUTES})

# Holes outside the reading scope, found by this matrix: (route, method) → the finding that closes them.
# Each is strict, so the merger sees it flip once the other branch is in.
KNOWN_FAILURES: dict[str, str] = {}


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


def _first_totp_pk() -> int:
    from django.apps import apps

    if not apps.is_installed("django_otp.plugins.otp_totp"):
        return 1
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.order_by("pk").values_list("pk", flat=True).first() or 1


def _first_pk(model, dossier: Dossier) -> int | None:
    return model.objects.filter(dossier=dossier).order_by("pk").values_list("pk", flat=True).first()


def _admin_object(app: str, model: str, dossier: Dossier, others: bool) -> str:
    from viewflow.workflow.models import Task

    process = process_of(dossier)
    objects = {
        ("workflows", "dossier"): dossier.pk,
        ("workflows", "dossierevent"): _first_pk(DossierEvent, dossier),
        ("workflows", "outboxevent"): _first_pk(OutboxEvent, dossier),
        ("workflows", "complaint"): _first_pk(Complaint, dossier),
        ("workflows", "personaldataaccess"): _first_pk(PersonalDataAccess, dossier),
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
    if route == "^api/(?P<rest>.*)$":
        return "/api/khong-co/"
    if route.startswith("admin/^(?P<app_label>"):
        return "/admin/workflows/"
    node = NODE.match(route)
    task = _task_of(dossiers, node["node"] if node else None) if "<int:task_pk>" in route else None
    admin_model = ADMIN_MODEL.match(route)
    process = process_of(dossier)
    values = {
        "code": dossier.code,
        "number": "01",
        "pk": str(_first_totp_pk()),
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


def _data_for(world: World, dossier: Dossier) -> dict:
    """A form an attacker would send: a valid-looking action for whatever the page accepts."""
    from viewflow.workflow.models import Task

    tasks = Task.objects.filter(process=process_of(dossier)).values_list("pk", flat=True)
    return {
        "action": "decide",
        "do": "receive",
        "code": world.others["submitted"].code,
        "revision": str(dossier.revision),
        "reason": "Lý do đủ dài để qua mọi kiểm tra của biểu mẫu",
        "outcome": Decision.APPROVED,
        "via": "direct",
        "note": "x",
        "pk": [str(pk) for pk in tasks],
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


def test_every_flow_route_is_wrapped_by_the_policy():
    """The "flow" verdict is backed by code: each such view is wrapped by workflows.views.flow.scoped_view."""
    flow = [r for r in ROUTES if verdict(r.route) == FLOW]
    assert len(flow) > 40
    assert sorted(r.route for r in flow if not getattr(r.callback, "motcua_scoped", False)) == []


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


def _xfail(route: str, kind: str):
    reason = KNOWN_FAILURES.get(f"{kind} {route}")
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.parametrize("route", [pytest.param(r, id=r or "/", marks=_xfail(r, "read")) for r in ROUTE_IDS])
def test_no_outsider_reads_another_agency(route, dbx):
    """GET as every persona: the other agency's sentinels never appear; shown applicants are logged."""
    other_path = fill(route, dbx, own=False)
    own_path = fill(route, dbx, own=True)
    paths = {other_path, own_path}
    if route in ("ho-so/", "api/v1/dossiers/", "admin/workflows/dossier/"):
        other = dbx.others["work"]
        paths |= {f"{other_path}?q={other.applicant_id_number}", f"{other_path}?q={OTHER_SENTINEL}"}
    leaks, unlogged = [], []
    # Pages whose verdict says they hold no dossier data are checked with fewer personas (runtime).
    personas = PERSONAS if verdict(route) in DOSSIER_VERDICTS else NO_DOSSIER_PERSONAS
    for persona in personas:
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


@pytest.mark.parametrize("route", [pytest.param(r, id=r or "/", marks=_xfail(r, "write")) for r in ROUTE_IDS])
def test_no_outsider_changes_anything(route, dbx):
    """POST/PUT/PATCH/DELETE by outsiders: refused, and the dossiers, trail, tasks and memberships unchanged.

    With the other agency's ids every persona is an outsider; without ids, those without a unit and the
    anonymous visitor are. POST carries a form an attacker would send; PUT, PATCH and DELETE are sent by
    every outsider to the API and by the other agency's desk, no membership and anonymous elsewhere (Django
    views other than the API's answer them 405 whoever sends them).
    """
    kind = verdict(route)
    path = fill(route, dbx, own=False)
    has_ids = "<" in route or route.startswith("admin/r/")
    outsiders = PERSONAS if has_ids else ["no-membership", "anonymous"]
    problems = []
    for persona in outsiders:
        client, headers = _client(dbx, persona)
        extra = headers if _is_api(route) else {}
        methods = UNSAFE if _is_api(route) or persona in FEW else ("post",)
        for method in methods:
            before = _snapshot()
            if method == "post":
                response = client.post(path, _data_for(dbx, dbx.others["work"]), **extra)
            else:
                response = getattr(client, method)(path, **extra)
            status = response.status_code
            if _snapshot() != before:
                problems.append(f"{persona} {method.upper()} {path} changed the data ({status})")
            if not _must_refuse(kind, persona):
                continue
            # Refused: an error status, or a redirect (to the login page, or back with a message) that — as
            # checked above — changed nothing. A 2xx answer to an outsider's unsafe request is never one.
            if 200 <= status < 300 and not ADMIN_CHANGELIST.match(route):
                problems.append(f"{persona} {method.upper()} {path} was not refused ({status})")
    assert problems == [], "\n".join(problems)


FEW = ("desk_officer@own", "no-membership", "anonymous")
# The admin's list answers an unsafe request by showing the list again ("select items first"): it acts only
# on selected rows of its own (scoped) queryset, which the data check above covers.
ADMIN_CHANGELIST = re.compile(r"^admin/[a-z_]+/[a-z_]+/$")


def _must_refuse(kind: str, persona: str) -> bool:
    """Public forms and the login page answer their own errors (200); the admin's pages without dossier data
    (catalogue, calendar, its index) belong to whoever the admin's model permissions let in — no agency
    makes an outsider there, only being anonymous does. Everywhere else an outsider is refused."""
    if kind in (PUBLIC, AUTH, SYSTEM):
        return False
    if kind == ADMIN:
        return persona == "anonymous"
    return True
