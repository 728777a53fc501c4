"""Input the desk, the task page and the services must refuse or normalise: values wider than their columns,
identifiers in other scripts' digits, decomposed Unicode names, dates beyond the working calendar, and
personal data in a URL."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from procedures.models import Agency, Procedure
from tests.workflows.test_desk_views import PROCEDURE, _login, _open_task, _receive_post, _task_url
from workflows.forms_facts import FeeForm
from workflows.forms_public import LookupForm
from workflows.models import Dossier
from workflows.services import Applicant, LifecycleError, dossier_apologize, dossier_receive

pytestmark = pytest.mark.django_db

COMPOSED = "Nguyễn Thị Ánh Tuyết"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


@pytest.fixture
def procedure(demo_users) -> Procedure:
    return Procedure.objects.get(code=PROCEDURE)


@pytest.fixture
def received(demo_users, procedure) -> Dossier:
    return dossier_receive(
        procedure=procedure,
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


# --- receive form: what the columns hold --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("applicant_name", "A" * 2099),
        ("applicant_address", "x" * 501),
        ("applicant_phone", "0" * 100),
        ("applicant_phone", "abc"),
        ("applicant_phone", "٠٩١٢٣٤٥٦٧٨"),  # Arabic-Indic digits
        ("applicant_email", "a" * 250 + "@example.vn"),
        ("applicant_id_number", "001٢٠٣٠١٢٣٤٥"),  # Arabic-Indic digits
        ("applicant_id_number", "𝟎𝟎𝟏𝟐𝟎𝟑𝟎𝟏𝟐𝟑𝟒x"),
        ("copies", "100000"),
        ("copies", "0"),
        ("request_summary", "x" * 5001),
        ("reason", "x" * 5001),
    ],
)
def test_receive_refuses_what_the_columns_cannot_hold(client, procedure, field, value):
    _login(client, "motcua")
    response = client.post(reverse("workflows:receive"), _receive_post(procedure, **{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors, field
    assert not Dossier.objects.exists()


def test_receive_stores_ascii_digits_and_nfc_names(client, procedure):
    _login(client, "motcua")
    data = _receive_post(
        procedure,
        applicant_name=DECOMPOSED,
        applicant_id_number="００１２０３０１２３４５",  # fullwidth: NFKC makes them ASCII
        applicant_phone="０９１２ ３４５ ６７８",
        applicant_address=unicodedata.normalize("NFD", "Số 1 Đường Trần Phú"),
    )
    response = client.post(reverse("workflows:receive"), data)
    assert response.status_code == 302, response.context["form"].errors
    dossier = Dossier.objects.get()
    assert dossier.applicant_id_number == "001203012345"
    assert dossier.applicant_phone == "0912 345 678"
    assert dossier.applicant_name == COMPOSED
    assert dossier.applicant_address == "Số 1 Đường Trần Phú"


def test_service_refuses_what_the_form_refuses(procedure, demo_users):
    desk = Agency.objects.get(code="DEMO-TTPVHCC")
    for applicant in (
        Applicant(name="A" * 256, id_number="001203012345"),
        Applicant(name="An", id_number="001٢٠٣٠١٢٣٤٥"),
        Applicant(name="An", id_number="001203012345", phone="abc"),
        Applicant(name="An", id_number="001203012345", phone="0" * 21),
        Applicant(name="An", id_number="001203012345", address="x" * 501),
    ):
        with pytest.raises(Exception) as info:
            dossier_receive(procedure=procedure, applicant=applicant, reception_agency=desk, user=None)
        assert type(info.value).__name__ in ("ValidationError", "LifecycleError"), applicant
    with pytest.raises(LifecycleError):
        dossier_receive(
            procedure=procedure,
            applicant=Applicant(name="An", id_number="001203012345"),
            reception_agency=desk,
            copies=100000,
        )
    assert not Dossier.objects.exists()


def test_a_decomposed_name_is_found_by_a_composed_search_and_back(client, procedure, demo_users):
    dossier = dossier_receive(
        procedure=procedure,
        applicant=Applicant(name=DECOMPOSED, id_number="001203012345"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )
    _login(client, "motcua")
    for term in (COMPOSED, DECOMPOSED, unicodedata.normalize("NFD", "Ánh Tuyết")):
        page = client.get("/ho-so/", {"q": term})
        assert dossier.code in page.content.decode(), term
    client.force_login(get_user_model().objects.create_superuser("quantri-nfc", password="x"))
    for term in (COMPOSED, DECOMPOSED):
        page = client.get("/admin/workflows/dossier/", {"q": term})
        assert dossier.code in page.content.decode(), term


# --- receive page: no personal data in a URL -----------------------------------------------------------


class _Forms(HTMLParser):
    """Every form's method and every submit button's formmethod of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.methods: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.methods.append((values.get("method") or "get").lower())
        if tag in ("button", "input") and "formmethod" in values:
            self.methods.append((values["formmethod"] or "get").lower())


def test_receive_page_never_submits_by_get(client, procedure):
    _login(client, "motcua")
    page = client.get(reverse("workflows:receive"))
    parser = _Forms()
    parser.feed(page.content.decode())
    receive_forms = [m for m in parser.methods]
    assert receive_forms and all(m == "post" for m in receive_forms), parser.methods


def test_procedure_search_keeps_the_typed_applicant_without_a_url(client, procedure):
    _login(client, "motcua")
    typed = {
        "q": "1.014431",
        "applicant_name": "Phạm Văn Dũng",
        "applicant_id_number": "001203077777",
        "applicant_phone": "0987654321",
        "reload": "1",
    }
    response = client.post(reverse("workflows:receive"), typed)
    assert response.status_code == 200
    body = response.content.decode()
    for value in ("Phạm Văn Dũng", "001203077777", "0987654321"):
        assert f'value="{value}"' in body
    assert not Dossier.objects.exists()
    assert "errorlist" not in body  # a search is not a submission: no "required" errors yet


def test_personal_data_in_a_receive_url_is_ignored(client, procedure):
    _login(client, "motcua")
    page = client.get(
        reverse("workflows:receive"),
        {"procedure": procedure.pk, "applicant_name": "Lộ Lọt", "applicant_id_number": "001203066666"},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "Lộ Lọt" not in body and "001203066666" not in body


# --- dates beyond the working calendar ------------------------------------------------------------------


def test_apology_beyond_the_calendar_is_refused_by_the_service(received, demo_users):
    with pytest.raises(LifecycleError, match="lịch làm việc"):
        dossier_apologize(
            dossier=received,
            new_due_at=datetime(2099, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
            reason="Chờ ý kiến",
            user=demo_users["giamdoc"],
        )
    received.refresh_from_db()
    assert received.apology_at is None


def test_apology_beyond_the_calendar_is_a_form_error_on_the_task_page(client, received):
    _process, task = _open_task(received)
    _login(client, "truongphong")
    client.get(reverse("dossier:queue"))  # viewflow registers the task URL names on its first page
    client.post(_task_url(task, "assign"))
    response = client.post(
        _task_url(task, "execute"),
        {
            "action": "apologize",
            "revision": received.revision,
            "reason": "Chờ",
            "new_due_at": "2099-01-05T09:00",
        },
    )
    assert response.status_code in (200, 400)
    assert re.search("lịch làm việc", response.content.decode())
    received.refresh_from_db()
    assert received.apology_at is None


# --- fact and public forms -------------------------------------------------------------------------------


def test_fee_is_bounded_by_its_column():
    assert not FeeForm({"amount_vnd": str(10**19), "paid_online": "0"}).is_valid()
    assert FeeForm({"amount_vnd": "150000", "paid_online": "0"}).is_valid()


def test_lookup_second_factor_is_ascii_digits_after_nfkc():
    assert not LookupForm({"code": "X", "verify": "٠١٢٣"}).is_valid()
    form = LookupForm({"code": "X", "verify": "０１２３"})
    assert form.is_valid() and form.cleaned_data["verify"] == "0123"


def test_supervisor_filter_dates_outside_the_calendar_are_a_form_error(client, demo_users, settings):
    _login(client, "giamsat")
    response = client.get("/giam-sat/", {"received_after": "0001-01-01", "received_before": "9999-12-31"})
    assert response.status_code == 200
    assert f"{settings.SLA_FIRST_YEAR}–{settings.SLA_LAST_YEAR}" in response.content.decode()
