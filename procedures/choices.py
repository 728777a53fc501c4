"""Choices of the procedure catalogue.

``TermUnit`` is the one of ``sla`` (domain §2.1 "Unit of the deadline"): a term is counted by the clock,
so the clock owns the unit list; a test keeps it equal to ``sla.calendar.Unit``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sla.choices import TermUnit

__all__ = ["AgencyLevel", "OnlineLevel", "ProcedureLevel", "TermUnit"]


class OnlineLevel(models.TextChoices):
    """Online public-service level under Decree 42/2022 Art 11 k1 (domain §3.1)."""

    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Không")


class AgencyLevel(models.TextChoices):
    """Place of an agency in the tree.

    Since 1/7/2025 local government has two tiers, province and commune (domain §0): there is no district
    level. Departments (sở, ban, ngành) sit under the provincial People's Committee, divisions and attached
    units (phòng, chi cục, quỹ, trung tâm) under a department. Ministries are roots of their own.
    """

    MINISTRY = "ministry", _("Cấp bộ")
    PROVINCE = "province", _("Cấp tỉnh")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    UNIT = "unit", _("Phòng, đơn vị")
    COMMUNE = "commune", _("Cấp xã")


class ProcedureLevel(models.TextChoices):
    """Level that carries out a procedure (*cấp thực hiện*).

    Published catalogues list some procedures at two levels at once (e.g. *cấp bản sao từ sổ gốc*: "cấp tỉnh,
    cấp xã"), hence the combined value.
    """

    MINISTRY = "ministry", _("Cấp bộ")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")
    PROVINCE_COMMUNE = "province_commune", _("Cấp tỉnh, cấp xã")
