"""The security tests render viewflow's pages: they need its site middleware like the workflow tests."""

from tests.workflows.conftest import _viewflow_site_middleware  # noqa: F401
