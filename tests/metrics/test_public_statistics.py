"""Public statistics (``/thong-ke/``): no login; the figures shown are the scorecard's for the same scope and
period (766 2.1, 3.3, total, every indicator of an agency, its previous periods); the page is computed once
per cache period, not per hit; nothing personal is shown — on the replayed May 2025 data of test_reports."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from metrics import views_public
from metrics.indicators import INDICATORS, Period, scope_for, scorecard
from tests.metrics.test_reports import CHILD, PARENT, build_report_data

pytestmark = pytest.mark.django_db

# Mid-June 2025: May 2025 is the previous month on the list, the data's month.
NOW = datetime(2025, 6, 16, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
MAY = Period(date(2025, 5, 1), date(2025, 5, 31))
URL = "/thong-ke/"
ROW = re.compile(r'<tr data-agency="([^"]+)">(.*?)</tr>', re.S)
CELL = re.compile(r'data-figure="([a-z_]+)">([^<]*)<')
INDICATOR_ROW = re.compile(r'<tr data-indicator="([^"]+)">(.*?)</tr>', re.S)
COL = re.compile(r'data-col="([a-z]+)">([^<]*)<')


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A fresh in-memory cache per test (the default file cache is shared by every test run)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "public-stats"},
    }
    settings.METRICS_AGENCY_LEVEL = "department"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(tmp_path):
    build_report_data(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


def vi(value: float | int) -> str:
    """A number as the page prints it (``floatformat:"-2"`` in Vietnamese): ``86,96``, ``80``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}".replace(".", ",")


def percent(entry: dict) -> str:
    return f"{vi(entry['ratio'])} %" if entry["denominator"] else "—"


def main(response) -> str:
    """The page's own content (the header's language form carries a fresh CSRF token on every hit)."""
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def expected_card(code: str, period: Period = MAY) -> dict:
    return scorecard(scope_for(code), period, now=NOW, source="auto")


def test_no_login_and_every_published_agency_with_the_scorecards_figures(client, world):
    response = client.get(URL, {"period": "2025-05"})
    assert response.status_code == 200
    assert response.context["public_section"] == "statistics"
    assert response.context["choice"].period == MAY
    body = response.content.decode()
    rows = {code: dict(CELL.findall(cells)) for code, cells in ROW.findall(body)}
    # The province (no department above it) and the commune each report under their own code.
    assert set(rows) == {PARENT, CHILD}
    for code in (PARENT, CHILD):
        card = expected_card(code)
        qd = card["qd766"]
        assert rows[code] == {
            "received_total": str(card["report_row"]["received_total"]),
            "on_time": percent(qd["2.1"]),
            "online": percent(qd["3.3"]),
            "total_score": vi(qd["total_score"]),
        }, code
    # The province's own dossiers: 6 in the period (C1 carried over); C1, M1 early, M2 on time and M5 in
    # time count, M3 (late) and M4 (overdue) do not → 2.1 = 4/6.
    assert expected_card(PARENT)["qd766"]["2.1"]["numerator"] == 4
    assert rows[PARENT]["on_time"] == "66,67 %"
    # Provincial agencies first, then communes; each agency links to its page for the same period.
    assert body.index(f'data-agency="{PARENT}"') < body.index(f'data-agency="{CHILD}"')
    assert f'href="{reverse("public:statistics_agency", args=[CHILD])}?period=2025-05"' in body
    assert "766 chỉ số 2.1" in body and "766 chỉ số 3.3" in body


def test_the_default_period_is_the_current_month_and_a_bad_one_falls_back_to_it(client, world):
    response = client.get(URL)
    assert response.context["choice"].key == "2025-06"
    assert response.context["period"] == Period(date(2025, 6, 1), date(2025, 6, 30))
    response = client.get(URL, {"period": "2019-01"})
    assert response.status_code == 200
    assert response.context["choice"].key == "2025-06" and response.context["period_ignored"]


def test_the_periods_offered(client, world):
    keys = [c.key for c in views_public.period_choices(date(2025, 6, 16))]
    assert keys[:3] == ["2025-06", "2025-05", "2025-04"] and keys[11] == "2024-07"
    assert keys[12:16] == ["2025-q2", "2025-q1", "2024-q4", "2024-q3"]
    assert keys[16:] == ["2025", "2024", "2023"]
    body = client.get(URL).content.decode()
    assert '<option value="2025-q2">Quý 2/2025</option>' in body
    assert '<option value="2025-06" selected>Tháng 06/2025</option>' in body


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [("2025-q2", (2025, 4, 1), (2025, 6, 30)), ("2025", (2025, 1, 1), (2025, 12, 31))],
)
def test_quarter_and_year_match_the_scorecard(client, world, key, start, end):
    period = Period(date(*start), date(*end))
    body = client.get(URL, {"period": key}).content.decode()
    rows = {code: dict(CELL.findall(cells)) for code, cells in ROW.findall(body)}
    card = scorecard(scope_for(PARENT), period, now=NOW, source="auto")
    assert rows[PARENT]["total_score"] == vi(card["qd766"]["total_score"])
    assert rows[PARENT]["on_time"] == percent(card["qd766"]["2.1"])


def test_an_agency_page_shows_its_whole_scorecard_and_previous_months(client, world):
    response = client.get(reverse("public:statistics_agency", args=[PARENT]), {"period": "2025-05"})
    assert response.status_code == 200
    body = response.content.decode()
    card = expected_card(PARENT)
    qd = card["qd766"]
    shown = {code: dict(COL.findall(cells)) for code, cells in INDICATOR_ROW.findall(body)}
    assert list(shown) == [i.code for i in INDICATORS]
    for code, cols in shown.items():
        entry = qd[code]
        ratio = "—" if not entry["denominator"] else vi(entry["ratio"]) + (" ngày" if code == "2.2" else " %")
        assert cols == {
            "numerator": vi(entry["numerator"]),
            "denominator": vi(entry["denominator"]),
            "ratio": ratio,
            "score": vi(entry["score"]),
            "max": vi(entry["max"]),
        }, code
    for group, score in qd["group_scores"].items():
        assert re.search(rf'data-group="{group}">.*?data-col="score">{re.escape(vi(score))}<', body, re.S)
    assert f'id="total-score">{vi(qd["total_score"])}<' in body
    # History: May and the five months before it, newest first, each equal to its month's scorecard.
    history = response.context["history"]
    assert [h["choice"].key for h in history] == [
        "2025-05",
        "2025-04",
        "2025-03",
        "2025-02",
        "2025-01",
        "2024-12",
    ]
    assert history[0]["current"]
    april = expected_card(PARENT, Period(date(2025, 4, 1), date(2025, 4, 30)))
    assert history[1]["card"]["total_score"] == april["qd766"]["total_score"]
    assert history[1]["card"]["received_total"] == april["report_row"]["received_total"] == 1
    rows = dict(re.findall(r'<tr data-period="([^"]+)"[^>]*>(.*?)</tr>', body, re.S))
    assert dict(CELL.findall(rows["2025-04"]))["total_score"] == vi(april["qd766"]["total_score"])
    assert dict(CELL.findall(rows["2025-05"]))["on_time"] == percent(qd["2.1"])


def test_unknown_agency_is_a_404(client, world):
    response = client.get(reverse("public:statistics_agency", args=["KHONG-CO"]))
    assert response.status_code == 404
    assert 'id="not-found"' in response.content.decode()


def test_no_personal_data_on_the_pages(client, world):
    from workflows.models import Dossier

    bodies = [
        client.get(URL, {"period": "2025-05"}).content.decode(),
        client.get(
            reverse("public:statistics_agency", args=[PARENT]), {"period": "2025-05"}
        ).content.decode(),
    ]
    dossiers = list(Dossier.objects.values_list("code", "applicant_name"))
    assert dossiers
    for body in bodies:
        for code, name in dossiers:
            assert code not in body
            if name:
                assert name not in body


def test_figures_are_computed_once_per_cache_period(client, world, monkeypatch, django_assert_num_queries):
    calls = []
    real = views_public.scorecard

    def counting(*args, **kwargs):
        calls.append(args[0].agency.code)
        return real(*args, **kwargs)

    monkeypatch.setattr(views_public, "scorecard", counting)
    first = main(client.get(URL, {"period": "2025-05"}))
    assert sorted(calls) == [PARENT, CHILD]
    with django_assert_num_queries(0):
        assert main(client.get(URL, {"period": "2025-05"})) == first
    assert sorted(calls) == [PARENT, CHILD]
    # The overview stored each agency's card: its page computes only the five months before May.
    client.get(reverse("public:statistics_agency", args=[CHILD]), {"period": "2025-05"})
    assert calls.count(CHILD) == 6
    with django_assert_num_queries(0):
        client.get(reverse("public:statistics_agency", args=[CHILD]), {"period": "2025-05"})
    client.get(reverse("public:statistics_agency", args=[CHILD]), {"period": "2025-04"})
    assert calls.count(CHILD) == 7  # April's own history reaches one month further back (Nov 2024)
    calls.clear()
    cache.clear()
    client.get(URL, {"period": "2025-05"})
    assert sorted(calls) == [PARENT, CHILD]


def test_the_cache_lifetime_is_the_setting(client, world, settings, monkeypatch):
    timeouts = []

    class Recorder:
        """The cache, noting the lifetime of everything stored."""

        def get(self, key):
            return cache.get(key)

        def set(self, key, value, timeout):
            timeouts.append(timeout)
            cache.set(key, value, timeout)

        def set_many(self, values, timeout):
            timeouts.append(timeout)
            cache.set_many(values, timeout)

    monkeypatch.setattr(views_public, "cache", Recorder())
    settings.PUBLIC_STATISTICS_CACHE_SECONDS = 42
    client.get(URL, {"period": "2025-05"})
    assert timeouts and set(timeouts) == {42}
    del settings.PUBLIC_STATISTICS_CACHE_SECONDS
    assert views_public.cache_seconds() == views_public.DEFAULT_CACHE_SECONDS == 300
