"""factory_boy factories for the catalogue; codes are demo codes (DEMO.dddddd) so nothing looks real."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from procedures.choices import AgencyLevel, OnlineLevel, ProcedureLevel, TermUnit
from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DEMO-T{n:03d}")
    name = factory.Sequence(lambda n: f"Cơ quan thử nghiệm {n}")
    level = AgencyLevel.DEPARTMENT
    e_id = factory.Sequence(lambda n: f"DEMO.{n:03d}.00.00.H00")

    class Params:
        province = factory.Trait(level=AgencyLevel.PROVINCE, parent=None)
        commune = factory.Trait(level=AgencyLevel.COMMUNE)
        division = factory.Trait(
            level=AgencyLevel.UNIT, parent=factory.SubFactory("tests.procedures.factories.AgencyFactory")
        )


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"DEMO.{n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm {n}")
    field = "Hoạt động khoa học và công nghệ"
    level = ProcedureLevel.PROVINCE
    agency = factory.SubFactory(AgencyFactory)


class ProcedureVersionFactory(factory.django.DjangoModelFactory):
    """A version of 10 working days, no reduction, not online, free."""

    class Meta:
        model = ProcedureVersion

    procedure = factory.SubFactory(ProcedureFactory)
    effective_from = date(2025, 7, 1)
    statutory_term_amount = Decimal(10)
    statutory_term_unit = TermUnit.WORKING_DAYS
    committed_term_amount = factory.SelfAttribute("statutory_term_amount")
    committed_term_unit = factory.SelfAttribute("statutory_term_unit")
    online_level = OnlineLevel.NONE
    fees_vnd = 0

    class Params:
        reduced = factory.Trait(committed_term_amount=Decimal(7))
        calendar_days = factory.Trait(statutory_term_unit=TermUnit.CALENDAR_DAYS)
        online = factory.Trait(
            online_level=OnlineLevel.FULL,
            full_online_eligible=True,
            online_term_amount=Decimal(5),
            online_term_unit=TermUnit.WORKING_DAYS,
        )


class ProcedureStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureStep

    version = factory.SubFactory(ProcedureVersionFactory)
    step_no = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Bước {n + 1}")
    role = "Chuyên viên"
    allotted_working_hours = Decimal(8)

    class Params:
        not_counted = factory.Trait(allotted_working_hours=None)
