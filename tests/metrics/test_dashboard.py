"""The indicator dashboard: who may see it, the numbers it shows, every number's drill-down list (its length
is the number), the Excel download and the CSV export — on the replayed May 2025 data of test_reports."""

from __future__ import annotations

import csv
import html
import io
import re
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from metrics.reports import FIRST_DATA_ROW
from metrics.rollups import rollups_rebuild
from procedures.models import Agency
from tests.metrics.test_reports import (
    CHILD,
    EXPECTED_CHILD,
    EXPECTED_TOTAL,
    PARENT,
    build_report_data,
)
from workflows.models import Membership
from workflows.roles import Role

pytestmark = pytest.mark.django_db

URL = "/chi-so/"
MAY = {"agency": PARENT, "children": "on", "kind": "month", "from": "2025-05-01"}
FIG_LINK = re.compile(
    r'<a class="fig"[^>]*data-figure="([^"]+)" data-count="(\d+)" href="([^"]+)">([^<]*)</a>'
)


@pytest.fixture
def world(tmp_path):
    build_report_data(tmp_path)
    rollups_rebuild()
    User = get_user_model()

    def member(username: str, role: str, code: str):
        user = User.objects.create_user(username, password="x", is_staff=True)
        Membership.objects.create(user=user, role=role, agency=Agency.objects.get(code=code))
        return user

    return {
        "supervisor": member("giamsat-rp", Role.SUPERVISOR, PARENT),
        "director": member("giamdoc-rp", Role.DIRECTOR, PARENT),
        "commune": member("giamsat-xa", Role.SUPERVISOR, CHILD),
        "desk": member("motcua-rp", Role.DESK_OFFICER, PARENT),
        "admin": User.objects.create_superuser("quantri-rp", password="x"),
    }


def page(client, user, params=None):
    client.force_login(user)
    return client.get(URL, MAY if params is None else params, HTTP_ACCEPT_LANGUAGE="vi")


def figure_links(response) -> list[tuple[str, int, str, str]]:
    return [
        (figure, int(count), html.unescape(href), text)
        for figure, count, href, text in FIG_LINK.findall(response.content.decode())
    ]


def test_access_rules(client, world):
    assert client.get(URL).status_code == 302  # login first
    assert page(client, world["desk"]).status_code == 403
    for who in ("supervisor", "director", "admin"):
        assert page(client, world[who]).status_code == 200, who
    # A commune supervisor cannot choose the province, nor open its lists or report.
    response = page(client, world["commune"])
    assert response.status_code == 200 and "card" not in response.context
    assert response.context["form"].errors
    client.force_login(world["commune"])
    query = {"agency": PARENT, "children": "1", "from": "2025-05-01", "to": "2025-05-31"}
    assert client.get(URL + "ho-so/", {**query, "figure": "resolved_total"}).status_code == 403
    assert client.get(URL + "bao-cao.xlsx", query).status_code == 403


def test_first_visit_defaults_to_the_users_top_agency_with_its_units(client, world):
    response = page(client, world["commune"], {})
    assert response.status_code == 200
    assert response.context["scope"].agency.code == CHILD
    response = page(client, world["supervisor"], {})
    assert response.context["scope"].agency.code == PARENT
    assert response.context["scope"].include_children


def test_page_shows_the_report_row_scorecard_and_charts(client, world):
    response = page(client, world["supervisor"])
    assert response.status_code == 200
    card = response.context["card"]
    assert [card["report_row"][k] for k in card["report_row"]] == EXPECTED_TOTAL
    body = response.content.decode()
    report = body[body.index('id="report-row"') : body.index("</table>", body.index('id="report-row"'))]
    shown = [int(count) for _f, count, _h, _t in FIG_LINK.findall(report)]
    assert shown == EXPECTED_TOTAL
    for code in ("1.1", "2.1", "3.3", "4.2", "5.4"):
        assert f'data-indicator="{code}"' in body
    assert "Tổng điểm" in body and "Tình hình, kết quả giải quyết TTHC" in body
    assert body.count("<svg") >= 3  # trend lines, trend bars, ranking — no script
    may = next(s for s in response.context["trend"] if s["month"].month == 5 and s["month"].year == 2025)
    assert (may["received"], may["resolved"]) == (7, 5)
    assert [r["code"] for r in response.context["ranking"]] == [CHILD]
    assert "/chi-so/bao-cao.xlsx?" in body


def test_every_figure_link_lists_as_many_dossiers_as_it_shows(client, world):
    response = page(client, world["supervisor"])
    links = figure_links(response)
    assert len(links) >= 30
    figures = {figure for figure, *_rest in links}
    assert {"received_total", "resolved_late", "in_progress_late", "ok_766", "synced"} <= figures
    for figure, count, href, text in links:
        listed = client.get(href)
        assert listed.status_code == 200, href
        assert listed.context["total"] == count, (figure, href)
        if text.strip().isdigit():
            assert int(text) == count, figure


def test_the_list_behind_a_number_links_to_the_dossier_page(client, world):
    client.force_login(world["supervisor"])
    query = {"agency": PARENT, "children": "1", "from": "2025-05-01", "to": "2025-05-31"}
    response = client.get(URL + "ho-so/", {**query, "figure": "resolved_late"})
    assert [d.code for d in response.context["page"]] == ["RP-M3"]
    assert 'href="/ho-so/RP-M3/"' in response.content.decode()
    response = client.get(URL + "ho-so/", {**query, "figure": "in_progress_late"})
    assert [d.code for d in response.context["page"]] == ["RP-M4"]
    assert client.get(URL + "ho-so/", {**query, "figure": "khong-co"}).status_code == 400
    assert (
        client.get(URL + "ho-so/", {**query, "from": "2025-06-01", "figure": "received"}).status_code == 400
    )


def test_csv_export_of_a_list(client, world):
    client.force_login(world["supervisor"])
    query = {"agency": PARENT, "children": "1", "from": "2025-05-01", "to": "2025-05-31"}
    response = client.get(URL + "ho-so/", {**query, "figure": "received_total", "format": "csv"})
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã hồ sơ", "Thủ tục", "Cơ quan"]
    assert len(rows) - 1 == EXPECTED_TOTAL[0]
    assert "attachment" in response["Content-Disposition"]


def test_excel_download(client, world):
    client.force_login(world["supervisor"])
    query = {"agency": PARENT, "children": "1", "from": "2025-05-01", "to": "2025-05-31", "by": "unit"}
    response = client.get(URL + "bao-cao.xlsx", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bao-cao-tthc-DEMO-RP-20250501-20250531-unit.xlsx"' in response["Content-Disposition"]
    ws = load_workbook(BytesIO(response.content)).active
    assert [ws.cell(FIRST_DATA_ROW + 1, c).value for c in range(3, 14)] == EXPECTED_CHILD
    assert [ws.cell(FIRST_DATA_ROW + 2, c).value for c in range(2, 14)] == ["Tổng cộng", *EXPECTED_TOTAL]
    # The commune supervisor downloads their own commune.
    client.force_login(world["commune"])
    query.update(agency=CHILD, children="0")
    assert client.get(URL + "bao-cao.xlsx", query).status_code == 200


def test_desk_menu_links_to_the_dashboard(client, world):
    client.force_login(world["supervisor"])
    body = client.get("/giam-sat/").content.decode()
    assert 'href="/chi-so/"' in body
