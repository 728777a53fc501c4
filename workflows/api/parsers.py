"""The API's JSON parser: a bounded body size and nesting depth, so hostile input is a problem, never a 500.

Why: DRF's ``JSONParser`` reads the request stream whole, whatever its length (Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards only ``request.body`` and form parsing), and hands it to
``json.load``, which recurses once per ``[``/``{`` and dies with ``RecursionError`` on a body of 100 000
brackets. No request of this API nests deeper than a few levels (a dossier, its applicant, a list of
document names), so anything beyond ``MAX_JSON_DEPTH`` is refused as malformed (400) and a body over the
upload limit as too large (413, ``payload-too-large``).
"""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from workflows.api.problems import Problem, too_large_detail

MAX_JSON_DEPTH = 32


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0, ``[]`` is 1), without recursion."""
    depth, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            depth = max(depth, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            depth = max(depth, level)
            stack.extend((v, level + 1) for v in item)
    return depth


def _too_large() -> Problem:
    return Problem("payload-too-large", detail=too_large_detail())


class BoundedJSONParser(JSONParser):
    """``JSONParser`` that reads at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes and refuses deep nesting."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                raise _too_large()
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise _too_large()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(_("Nội dung JSON lồng nhau quá sâu.")) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(_("Nội dung JSON lồng nhau quá %(n)s cấp.") % {"n": MAX_JSON_DEPTH})
        return data


__all__ = ["MAX_JSON_DEPTH", "BoundedJSONParser", "json_depth"]
