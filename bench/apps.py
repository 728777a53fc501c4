from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The bare viewflow flow of ``bench/lifecycle.py``; installed only by ``bench.settings``."""

    name = "bench"
    label = "bench"
