"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py`` (the app is ``config.wsgi``).

Prometheus (issue 4): with several workers each process has its own counters, and a scrape reaches one
worker at random. prometheus-client's multiprocess mode fixes that: every process writes its values to files
in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` merges them (:mod:`metrics.prometheus`). Rules:

* The variable must be in the environment *before* any process imports ``prometheus_client`` (it picks its
  storage at import). This file sets a default (``$MOTCUA_VAR_DIR/prometheus``) when the environment has
  none, before gunicorn imports the app, and does not import ``prometheus_client`` at module level.
* Celery workers on the same host must use the *same* directory so that the web answers what they counted
  (sweeps, notices, task failures). ``scripts/run.sh`` exports one directory to web, worker and beat.
* Clear the directory once when the whole service starts — before gunicorn *and* the Celery workers — e.g.
  ``ExecStartPre=/bin/sh -c 'rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"'``
  in the unit that starts first. gunicorn does not clear it itself: a Celery worker started earlier keeps
  writing to the files it opened, and wiping them under it would lose its counts. Files left by old
  processes are harmless for our metrics (counters and histograms are summed, the sweep timestamp takes the
  max) but slow scrapes down as they pile up, so avoid ``max_requests`` recycling unless needed.
* ``child_exit`` tells prometheus-client that a worker died (it drops the files of "live" gauges).

Environment: ``GUNICORN_BIND`` (default ``0.0.0.0:8000``), ``WEB_CONCURRENCY`` (workers, default
2 × CPUs + 1, at most 8), ``GUNICORN_THREADS`` (default 1), ``GUNICORN_TIMEOUT`` (seconds, default 60).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

_base_dir = Path(__file__).resolve().parent.parent
_var_dir = Path(os.environ.get("MOTCUA_VAR_DIR", str(_base_dir / "var"))).resolve()
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var_dir / "prometheus"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

wsgi_app = "config.wsgi:application"
chdir = str(_base_dir)
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Behind a TLS proxy on the same host; /metrics refuses proxied requests unless METRICS_TOKEN is set.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
# The app is imported in each worker after fork (no preload), so every worker opens its own metric files.
preload_app = False


def child_exit(server, worker) -> None:
    """A worker exited: let prometheus-client drop the files of its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
