"""Who sees which dossier (``workflows.policy``) and the places that read through it, one finding at a time.

The same fixture world as the permission matrix: personas holding one role at DEMO-XA-A, a dossier of their
own commune and dossiers of the province received at the provincial centre (sentinel applicants).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.security.conftest import OTHER_SENTINEL, _body, _client
from workflows import policy
from workflows.flows import TASK_SUMMARY, process_of
from workflows.models import Dossier, DossierStep, Membership, PersonalDataAccess
from workflows.roles import Role

pytestmark = pytest.mark.django_db


def _visible(user) -> set[str]:
    return set(policy.visible_dossiers(user).values_list("code", flat=True))


def test_each_role_sees_what_its_work_needs(dbx):
    """Desk: received at or for its agency; specialist: only where a step was at its unit; head, director,
    supervisor, administrator: their agency's subtree; no membership: nothing."""
    own, others = dbx.own.code, {d.code for d in dbx.others.values()}
    for role in Role:
        assert _visible(dbx.users[f"{role.value}@own"]) == {own}, role
    assert _visible(dbx.users["no-membership"]) == set()
    root = get_user_model().objects.create_superuser("root-scope", email="r@example.vn")
    assert _visible(root) >= {own} | others


def test_a_specialist_sees_only_dossiers_that_reached_the_unit(dbx):
    """A specialist of the deciding agency does not read a dossier still at another unit (Decree 13/2023:
    purpose limitation); the head of that agency does."""
    dossier = dbx.others["work"]
    specialist = get_user_model().objects.create_user("specialist-deciding")
    Membership.objects.create(user=specialist, agency=dossier.agency, role=Role.SPECIALIST)
    DossierStep.objects.filter(dossier=dossier).update(unit=dbx.own.agency)
    assert not policy.dossier_visible(specialist, dossier)
    head = get_user_model().objects.create_user("head-deciding")
    Membership.objects.create(user=head, agency=dossier.agency, role=Role.HEAD_OF_UNIT)
    assert policy.dossier_visible(head, dossier)
    DossierStep.objects.filter(dossier=dossier).update(unit=dossier.agency)
    del specialist._motcua_memberships, specialist._motcua_covered
    assert policy.dossier_visible(specialist, dossier)


def test_visible_dossiers_is_one_query(dbx):
    user = dbx.users["specialist@own"]
    policy.visible_dossiers(user)  # memberships and the agency tree, once per request
    with CaptureQueriesContext(connection) as queries:
        rows = list(policy.visible_dossiers(user))
    assert len(queries) == 1 and [d.pk for d in rows] == [dbx.own.pk]


def test_viewflow_pages_answer_404_for_another_agencys_process_and_task(dbx):
    client, _headers = _client(dbx, "specialist@own")
    other = process_of(dbx.others["work"])
    own = process_of(dbx.own)
    assert client.get(f"/dossier/{other.pk}/").status_code == 404
    other_task = other.task_set.order_by("pk").last()
    assert client.get(f"/dossier/{other.pk}/work/{other_task.pk}/detail/").status_code == 404
    # A task of another process under the user's own process id: viewflow looks tasks up by id only.
    assert client.get(f"/dossier/{own.pk}/work/{other_task.pk}/detail/").status_code == 404
    assert client.get(f"/dossier/{own.pk}/").status_code == 200


def test_viewflow_lists_show_only_visible_processes(dbx):
    client, _headers = _client(dbx, "supervisor@own")
    body = _body(client.get("/dossier/flows/")) + _body(client.get("/dossier/tasks/"))
    assert dbx.own.code in body
    assert not any(d.code in body for d in dbx.others.values())


def test_process_page_logs_the_applicant_shown(dbx):
    client, _headers = _client(dbx, "desk_officer@own")
    before = PersonalDataAccess.objects.filter(dossier=dbx.own).count()
    response = client.get(f"/dossier/{process_of(dbx.own).pk}/")
    assert dbx.own.applicant_name in _body(response)
    assert PersonalDataAccess.objects.filter(dossier=dbx.own).count() == before + 1


def test_task_summary_does_not_carry_the_applicant():
    assert "applicant" not in TASK_SUMMARY


def test_admin_search_by_id_number_finds_only_visible_dossiers(dbx):
    """Finding: a commune desk officer with staff status found any agency's applicant by ID number."""
    client, _headers = _client(dbx, "desk_officer@own")
    other = dbx.others["work"]
    body = _body(client.get(f"/admin/workflows/dossier/?q={other.applicant_id_number}"))
    assert other.code not in body and OTHER_SENTINEL not in body
    assert client.get(f"/admin/workflows/dossier/{other.pk}/change/").status_code == 302  # "does not exist"
    own = _body(client.get(f"/admin/workflows/dossier/?q={dbx.own.applicant_id_number}"))
    assert dbx.own.code in own


def test_an_administrator_manages_memberships_of_their_agencies_only(dbx):
    """Memberships are what the policy reads: a commune's administrator must not grant themselves (or
    revoke) another agency's."""
    client, _headers = _client(dbx, "administrator@own")
    other = Membership.objects.exclude(agency=dbx.own.agency).order_by("pk").first()
    assert client.get(f"/admin/workflows/membership/{other.pk}/change/").status_code == 302
    admin_user = dbx.users["administrator@own"]
    response = client.post(
        "/admin/workflows/membership/add/",
        {"user": admin_user.pk, "agency": other.agency_id, "role": Role.DIRECTOR},
    )
    assert response.status_code == 200  # the form refuses the agency
    assert not Membership.objects.filter(user=admin_user, agency=other.agency).exists()


def test_sla_notice_mail_does_not_name_the_applicant(dbx):
    from workflows.models import SlaNotice
    from workflows.services.sweep import _message

    dossier = Dossier.objects.select_related("procedure_version__procedure", "agency").get(pk=dbx.own.pk)
    notice = SlaNotice(dossier=dossier, threshold="overdue", step_seq=0)
    subject, body = _message(notice, dossier, None)
    assert dossier.applicant_name not in subject + body
    assert dossier.code in body


def test_security_matrix_command_prints_every_pattern_and_fails_on_an_unclassified_one(monkeypatch):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from workflows import security_matrix

    out = StringIO()
    call_command("security_matrix", stdout=out)
    text = out.getvalue()
    assert "/dossier/<int:process_pk>/work/<int:task_pk>/detail/" in text and "UNCLASSIFIED" not in text
    monkeypatch.delitem(security_matrix.PATTERNS, "ho-so/<str:code>/")
    with pytest.raises(CommandError, match="ho-so/<str:code>/"):
        call_command("security_matrix", stdout=StringIO())
