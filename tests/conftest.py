import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Calendars are cached per process; a test that adds overrides must not leak into the next."""
    from sla.services import calendar_cache_clear

    calendar_cache_clear()
    yield
    calendar_cache_clear()
