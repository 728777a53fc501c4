"""API client authentication, scopes and throttling (placeholder until the API lands)."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None


class HasScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        return False


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def get_cache_key(self, request, view):
        return None
