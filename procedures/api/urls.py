"""REST API routes (issue 5)."""

from __future__ import annotations

urlpatterns: list = []
