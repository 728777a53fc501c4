"""Pagination of every list in the API: ``limit``/``offset`` with a ceiling.

Why a ceiling: DRF's ``LimitOffsetPagination`` takes any ``limit``, and ``?limit=10**30`` overflows the
database's integer (a 500 found by schemathesis); a partner paging through thousands of dossiers needs a
bounded page anyway. It lives in the lowest app with an API so every API view can name it (``workflows`` and
``metrics`` may import ``procedures``, not the reverse); it should also be ``REST_FRAMEWORK``'s
``DEFAULT_PAGINATION_CLASS`` so a new list view cannot forget it.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

MAX_PAGE_SIZE = 500


class ApiPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE_SIZE

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.limit_query_param:
                param["description"] = (
                    f"Số kết quả mỗi trang (mặc định {self.default_limit}, tối đa {self.max_limit})."
                )
            elif param["name"] == self.offset_query_param:
                param["description"] = "Vị trí bắt đầu (0 là kết quả đầu tiên)."
        return params
