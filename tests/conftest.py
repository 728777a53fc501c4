import os

import pytest
import time_machine
from django import test as django_test
from django.http import HttpRequest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--frozen-clock",
        default=os.environ.get("MOTCUA_TEST_CLOCK") or None,
        help="ISO 8601 instant: every test starts with the wall clock at this moment (time-machine, ticks). "
        "Proves the suite does not depend on the hour it runs at, e.g. 23:30 UTC = 06:30 in Vietnam.",
    )


@pytest.fixture(autouse=True)
def _frozen_clock(request: pytest.FixtureRequest):
    """Start each test at the instant of ``--frozen-clock`` (or ``MOTCUA_TEST_CLOCK``); no-op by default.

    Tests that need a particular "now" travel again inside; time-machine nests, so theirs wins.
    """
    instant = request.config.getoption("--frozen-clock")
    if not instant:
        yield
        return
    with time_machine.travel(instant, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Calendars are cached per process; a test that adds overrides must not leak into the next."""
    from sla.services import calendar_cache_clear

    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Public pages count requests per address; one test's hits must not push the next one over a limit."""
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.RATELIMIT_USE_CACHE].clear()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Demo users are created in most tests; PBKDF2's deliberate slowness (≈0.3 s a user) is not under test.

    The production hashers stay in the list after MD5, so hashes made elsewhere still verify.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


class LoginClient(django_test.Client):
    """Django's test client whose ``login()`` authenticates as a login page does: with a request.

    django-axes counts failed logins per username and address and refuses ``authenticate()`` calls that carry
    no request (so no code path can skip the throttle); the login pages pass theirs, and so does this client.
    """

    def login(self, **credentials):
        if "request" not in credentials:
            request = HttpRequest()
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = request
        return super().login(**credentials)


@pytest.fixture
def client():
    """pytest-django's ``client``, with :class:`LoginClient`."""
    return LoginClient()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright (no browser download); skipped where it is not installed.

    live_server runs the app in a thread of this process while Playwright's sync API runs an event loop here,
    hence DJANGO_ALLOW_ASYNC_UNSAFE.
    """
    import os
    import shutil

    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()
