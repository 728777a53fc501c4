"""The public procedure catalogue (``/thu-tuc/``, ``/thu-tuc/<code>/``): no login, the version in force
today, search and filters (django-filter), 20 a page by name, the detail page, 404s, and a fixed number of
queries whatever the page size (the load test budget)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures.choices import AgencyLevel, OnlineLevel, TermUnit
from tests.procedures.factories import (
    AgencyFactory,
    ProcedureFactory,
    ProcedureStepFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/thu-tuc/"
# Field choices, agency choices, count, page.
LIST_QUERIES = 4
# The same plus the agency chosen and the agency tree (its units).
LIST_QUERIES_BY_AGENCY = 6
# The version with its procedure and agency, then its steps.
DETAIL_QUERIES = 2


@pytest.fixture
def catalogue():
    """A department with a division, a commune, and procedures in every situation a date can put them in."""
    today = timezone.localdate()
    department = AgencyFactory(code="DEMO-PUB-SO", name="Sở Thử nghiệm", level=AgencyLevel.DEPARTMENT)
    division = AgencyFactory(
        code="DEMO-PUB-PHONG", name="Phòng Thử nghiệm", level=AgencyLevel.UNIT, parent=department
    )
    commune = AgencyFactory(
        code="DEMO-PUB-XA", name="Ủy ban nhân dân xã Thử nghiệm", level=AgencyLevel.COMMUNE
    )

    def make(code, name, agency, field="Hộ tịch", **version):
        procedure = ProcedureFactory(code=code, name=name, agency=agency, field=field)
        version.setdefault("effective_from", today - timedelta(days=100))
        ProcedureVersionFactory(procedure=procedure, **version)
        return procedure

    birth = make(
        "DEMO.100001",
        "Đăng ký khai sinh",
        commune,
        online_level=OnlineLevel.FULL,
        online_term_amount=Decimal("0.5"),
        online_term_unit=TermUnit.WORKING_DAYS,
        statutory_term_amount=Decimal(3),
        committed_term_amount=Decimal(1),
        fees_vnd=0,
        required_documents="Tờ khai đăng ký khai sinh\nGiấy chứng sinh",
        result_documents="Giấy khai sinh (bản chính)",
        legal_basis="Luật Hộ tịch số 60/2014/QH13",
    )
    # A new version from 10 days ago: the list and the page show it, once.
    ProcedureVersionFactory(
        procedure=birth,
        effective_from=today - timedelta(days=10),
        statutory_term_amount=Decimal(3),
        committed_term_amount=Decimal("1.5"),
        online_level=OnlineLevel.FULL,
        fees_vnd=0,
        required_documents="Tờ khai đăng ký khai sinh\nGiấy chứng sinh",
        result_documents="Giấy khai sinh (bản chính)",
        legal_basis="Luật Hộ tịch số 60/2014/QH13",
    )
    birth.versions.filter(effective_from=today - timedelta(days=100)).update(
        effective_to=today - timedelta(days=11)
    )
    make(
        "DEMO.100002",
        "Cấp giấy phép tiến hành công việc bức xạ",
        division,
        field="An toàn bức xạ",
        online_level=OnlineLevel.PARTIAL,
        fees_vnd=2_500_000,
        statutory_term_amount=Decimal(15),
    )
    make(
        "DEMO.100003",
        "Bổ sung thông tin cho giấy phép",
        department,
        field="An toàn bức xạ",
        fees_vnd=None,
        fees_text="Theo Thông tư 287/2016/TT-BTC",
    )
    make("DEMO.100004", "Thủ tục sắp áp dụng", department, effective_from=today + timedelta(days=5))
    make(
        "DEMO.100005",
        "Thủ tục đã hết hiệu lực",
        department,
        effective_from=today - timedelta(days=400),
        effective_to=today - timedelta(days=1),
    )
    version = birth.versions.get(effective_to__isnull=True)
    ProcedureStepFactory(
        version=version,
        step_no=1,
        name="Tiếp nhận hồ sơ",
        role="Công chức một cửa",
        unit=commune,
        allotted_working_hours=Decimal(2),
    )
    ProcedureStepFactory(version=version, step_no=2, name="Trả kết quả", role="", allotted_working_hours=None)
    return {"department": department, "division": division, "commune": commune}


def codes(response) -> list[str]:
    return [row.version.procedure.code for row in response.context["rows"]]


def test_the_list_needs_no_login_and_shows_todays_versions_by_name(client, catalogue):
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["public_section"] == "catalogue"
    # By name (Vietnamese sort of the database: "Bổ" < "Cấp" < "Đăng"), future and ended versions left out,
    # the procedure with two versions listed once.
    assert codes(response) == ["DEMO.100003", "DEMO.100002", "DEMO.100001"]
    assert response.context["total"] == 3
    body = response.content.decode()
    assert 'href="/thu-tuc/DEMO.100001/"' in body
    birth = next(r for r in response.context["rows"] if r.version.procedure.code == "DEMO.100001")
    assert (birth.statutory, birth.committed) == ("3 ngày làm việc", "1,5 ngày làm việc")
    assert "Toàn trình" in body and "Ủy ban nhân dân xã Thử nghiệm" in body
    assert "Thủ tục sắp áp dụng" not in body and "Thủ tục đã hết hiệu lực" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "khai sinh"}, ["DEMO.100001"]),
        ({"q": "giấy phép"}, ["DEMO.100003", "DEMO.100002"]),
        ({"q": "giấy phép bức xạ"}, ["DEMO.100002"]),  # every word must match
        ({"q": "100002"}, ["DEMO.100002"]),  # the code
        ({"q": "không có thủ tục này"}, []),
        ({"field": "An toàn bức xạ"}, ["DEMO.100003", "DEMO.100002"]),
        ({"online_level": "full"}, ["DEMO.100001"]),
        ({"online_level": "none"}, ["DEMO.100003"]),
        ({"agency": "DEMO-PUB-PHONG"}, ["DEMO.100002"]),
        ({"agency": "DEMO-PUB-SO"}, ["DEMO.100003", "DEMO.100002"]),  # with its division
        ({"agency": "DEMO-PUB-SO", "online_level": "partial", "q": "phép"}, ["DEMO.100002"]),
    ],
)
def test_search_and_filters(client, catalogue, query, expected):
    response = client.get(LIST, query)
    assert response.status_code == 200
    assert codes(response) == expected
    if not expected:
        assert 'id="catalogue-empty"' in response.content.decode()


def test_the_filter_form_offers_fields_agencies_and_levels(client, catalogue):
    form = client.get(LIST).context["filter"].form
    assert [value for value, _label in form.fields["field"].choices if value] == ["An toàn bức xạ", "Hộ tịch"]
    agencies = {a.code for a in form.fields["agency"].queryset}
    # The division and the commune decide procedures; the department too, and through its division.
    assert agencies == {"DEMO-PUB-SO", "DEMO-PUB-PHONG", "DEMO-PUB-XA"}
    assert {v for v, _l in form.fields["online_level"].choices if v} == set(OnlineLevel.values)


def test_an_unknown_choice_is_an_error_not_a_crash(client, catalogue):
    response = client.get(LIST, {"agency": "KHONG-CO", "online_level": "level-9"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors


def test_twenty_a_page_and_the_filters_kept_across_pages(client, catalogue):
    department = catalogue["department"]
    for n in range(25):
        ProcedureVersionFactory(
            procedure=ProcedureFactory(
                code=f"DEMO.2000{n:02d}", name=f"Thủ tục số {n:02d}", agency=department
            ),
            effective_from=timezone.localdate() - timedelta(days=1),
        )
    first = client.get(LIST, {"q": "số"})
    assert first.context["total"] == 25
    assert codes(first) == [f"DEMO.2000{n:02d}" for n in range(20)]
    assert 'href="?q=s%E1%BB%91&amp;page=2"' in first.content.decode()
    second = client.get(LIST, {"q": "số", "page": 2})
    assert codes(second) == [f"DEMO.2000{n:02d}" for n in range(20, 25)]
    assert client.get(LIST, {"page": "99"}).context["page"].number == 2  # past the end: the last page


def test_the_list_costs_a_fixed_number_of_queries(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(LIST)
    for n in range(40):
        agency = catalogue["division"] if n % 2 else catalogue["commune"]
        ProcedureVersionFactory(
            procedure=ProcedureFactory(code=f"DEMO.3000{n:02d}", name=f"Thủ tục thêm {n:02d}", agency=agency),
            effective_from=timezone.localdate() - timedelta(days=1 + n),
        )
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(LIST, {"page": 2})
    assert len(response.context["rows"]) == 20
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(LIST, {"q": "thêm", "field": "Hộ tịch", "online_level": "none"})
    with django_assert_max_num_queries(LIST_QUERIES_BY_AGENCY):
        response = client.get(LIST, {"agency": "DEMO-PUB-SO"})
    assert response.context["total"] == 22  # 20 added to the division, 2 of the department's own


def test_the_detail_page(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("public:procedure", args=["DEMO.100001"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h1 id="procedure-name">Đăng ký khai sinh</h1>' in body
    for fact, text in (
        ("code", "DEMO.100001"),
        ("field", "Hộ tịch"),
        ("agency", "Ủy ban nhân dân xã Thử nghiệm"),
        ("statutory", "3 ngày làm việc"),
        ("committed", "1,5 ngày làm việc"),  # the version in force, not the older one
        ("online-level", "Toàn trình"),
        ("online-term", "Như thời hạn cam kết"),
        ("fees", "Không thu phí, lệ phí"),
    ):
        assert f'data-fact="{fact}">{text}<' in body, fact
    assert "<li>Tờ khai đăng ký khai sinh</li><li>Giấy chứng sinh</li>" in body
    assert "<li>Giấy khai sinh (bản chính)</li>" in body
    assert "Luật Hộ tịch số 60/2014/QH13" in body
    assert "Tiếp nhận hồ sơ" in body and "2 giờ làm việc" in body and "Không tính thời gian" in body
    assert f'id="lookup-link" href="{reverse("public:lookup")}"' in body


def test_fees_as_published_or_as_an_amount(client, catalogue):
    body = client.get("/thu-tuc/DEMO.100002/").content.decode()
    assert 'data-fact="fees">2.500.000 đồng<' in body
    assert 'data-fact="online-term">Như thời hạn cam kết<' in body
    body = client.get("/thu-tuc/DEMO.100003/").content.decode()
    assert 'data-fact="fees">Theo Thông tư 287/2016/TT-BTC<' in body
    assert 'data-fact="online-term">Không áp dụng<' in body


@pytest.mark.parametrize("code", ["DEMO.999999", "DEMO.100004", "DEMO.100005", "khong-co"])
def test_unknown_or_not_in_force_is_a_404_page(client, catalogue, code):
    response = client.get(f"/thu-tuc/{code}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'id="not-found"' in body and code in body
    assert 'href="/thu-tuc/"' in body


def test_catalogue_is_rate_limited_per_address(client, catalogue, settings):
    """Past PUBLIC_PAGE_RATE_IP an address gets 429 with the Vietnamese explanation; another one does not."""
    settings.PUBLIC_PAGE_RATE_IP = "3/m"
    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(LIST)
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.content.decode()
    assert client.get(LIST, REMOTE_ADDR="10.0.0.9").status_code == 200
