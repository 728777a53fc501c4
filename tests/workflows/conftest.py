"""Shared fixtures for the workflow tests: the demo catalogue and the demo staff with their memberships."""

import pytest


@pytest.fixture
def demo_catalogue(db):
    """The demo agencies and procedures plus the role groups (as ``manage.py demo_seed`` loads them)."""
    from procedures.services import catalogue_load_demo
    from workflows.roles import role_groups_sync

    report = catalogue_load_demo()
    role_groups_sync()
    return report


@pytest.fixture
def demo_users(demo_catalogue):
    """The demo users by username (password ``motcua-demo``), with the memberships of ``demo_seed``."""
    from workflows.management.commands.demo_seed import demo_users_seed

    return demo_users_seed()


SITE_MIDDLEWARE = "viewflow.middleware.SiteMiddleware"


@pytest.fixture(autouse=True)
def _viewflow_site_middleware(settings):
    """viewflow's Material UI needs its SiteMiddleware (sets ``request.resolver_match.site/app``).

    It belongs in ``config.settings.MIDDLEWARE`` right after AuthenticationMiddleware; until it is there this
    adds it for the tests so the pages render as in production.
    """
    if SITE_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        at = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
        middleware.insert(at, SITE_MIDDLEWARE)
        settings.MIDDLEWARE = middleware
