from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Holds the bare viewflow flow of ``bench/lifecycle.py``'s baseline; installed only by ``bench.settings``."""

    name = "bench"
    label = "bench"
