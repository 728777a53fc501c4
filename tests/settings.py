"""Test settings: the project's settings in demo mode.

The suite runs on a fresh machine with nothing in the environment, where ``config.settings`` is production and
refuses to start without a secret key; tests run the demo (``make run``'s mode). Set before the import, and in
``os.environ`` so the processes the tests start (workers, ``manage.py``) inherit it. Production-only behaviour
(second factor required, secure cookies, ``check --deploy``) is tested with ``override_settings`` or in a
subprocess with its own environment.
"""

import os

os.environ["MOTCUA_DEMO"] = "1"

from config.settings import *  # noqa: F403
