"""RFC 9457 problem+json (placeholder until the API lands)."""

from __future__ import annotations

from rest_framework.views import exception_handler


def problem_exception_handler(exc, context):
    return exception_handler(exc, context)
