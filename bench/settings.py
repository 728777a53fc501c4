"""The project's settings plus the ``bench`` app, whose bare viewflow flow is the lifecycle baseline."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
