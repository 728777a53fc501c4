import pytest


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
