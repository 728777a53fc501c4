"""Where a procedure may be received (Decree 118/2025): the one rule of ``procedures.selectors``.

Provincial and commune centres receive the TTHC of their province, its communes and the agencies in it,
whatever the boundary inside the province; a ministry TTHC only where the ministry delegated it.
"""

from __future__ import annotations

from datetime import date

import pytest

from procedures.choices import AgencyLevel, ProcedureLevel
from procedures.selectors import agency_province, procedures_receivable_at, receivable_by
from tests.procedures.factories import AgencyFactory, ProcedureFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

DAY = date(2025, 8, 1)


@pytest.fixture
def tree():
    province = AgencyFactory(code="DEMO-P1", province=True)
    centre = AgencyFactory(code="DEMO-P1-TT", parent=province)
    department = AgencyFactory(code="DEMO-P1-SO", parent=province)
    division = AgencyFactory(code="DEMO-P1-SO-PH", level=AgencyLevel.UNIT, parent=department)
    commune_a = AgencyFactory(code="DEMO-P1-XA", commune=True, parent=province)
    commune_b = AgencyFactory(code="DEMO-P1-XB", commune=True, parent=province)
    other_province = AgencyFactory(code="DEMO-P2", province=True)
    other_centre = AgencyFactory(code="DEMO-P2-TT", parent=other_province)
    ministry = AgencyFactory(code="DEMO-BO", level=AgencyLevel.MINISTRY, parent=None)
    ministry_desk = AgencyFactory(code="DEMO-BO-VP", level=AgencyLevel.UNIT, parent=ministry)
    return {
        "province": province,
        "centre": centre,
        "department": department,
        "division": division,
        "commune_a": commune_a,
        "commune_b": commune_b,
        "other_province": other_province,
        "other_centre": other_centre,
        "ministry": ministry,
        "ministry_desk": ministry_desk,
    }


def _version(agency, level=ProcedureLevel.PROVINCE):
    return ProcedureVersionFactory(procedure=ProcedureFactory(agency=agency, level=level))


def test_the_province_of_an_agency(tree):
    assert agency_province(tree["division"]) == tree["province"]
    assert agency_province(tree["commune_b"]) == tree["province"]
    assert agency_province(tree["province"]) == tree["province"]
    assert agency_province(tree["ministry_desk"]) == tree["ministry"]


def test_any_desk_of_the_province_receives_its_procedures_whatever_the_boundary(tree):
    departmental = _version(tree["division"])
    communal = _version(tree["commune_a"], ProcedureLevel.COMMUNE)
    for desk in ("centre", "commune_a", "commune_b", "department"):
        assert receivable_by(departmental, tree[desk]), desk
        assert receivable_by(communal, tree[desk]), desk
    assert not receivable_by(departmental, tree["other_centre"])
    assert not receivable_by(communal, tree["other_centre"])
    assert not receivable_by(communal, tree["ministry_desk"])


def test_a_ministry_procedure_only_where_it_is_delegated(tree):
    version = _version(tree["ministry"], ProcedureLevel.MINISTRY)
    assert receivable_by(version, tree["ministry_desk"])  # the ministry's own desk
    for desk in ("centre", "commune_a", "other_centre"):
        assert not receivable_by(version, tree[desk]), desk
    version.received_in.add(tree["province"])  # delegated to province 1: all its desks
    assert receivable_by(version, tree["centre"]) and receivable_by(version, tree["commune_a"])
    assert not receivable_by(version, tree["other_centre"])
    version.received_in.set([tree["other_centre"]])  # delegated to one centre of province 2 only
    assert receivable_by(version, tree["other_centre"])
    assert not receivable_by(version, tree["centre"])


def test_the_list_a_desk_may_receive_follows_the_version_in_force(tree):
    own = _version(tree["department"])
    ministry_procedure = ProcedureFactory(agency=tree["ministry"], level=ProcedureLevel.MINISTRY)
    old = ProcedureVersionFactory(procedure=ministry_procedure, effective_from=date(2025, 1, 1))
    old.received_in.add(tree["province"])
    ProcedureVersionFactory(procedure=ministry_procedure, effective_from=date(2025, 7, 1))  # no delegation
    elsewhere = _version(tree["other_province"])
    listed = set(procedures_receivable_at(tree["commune_b"], DAY))
    assert listed == {own.procedure}
    assert set(procedures_receivable_at(tree["commune_b"], date(2025, 3, 1))) == {ministry_procedure}
    both = set(procedures_receivable_at([tree["commune_b"], tree["other_centre"]], DAY))
    assert both == {own.procedure, elsewhere.procedure}
    assert set(procedures_receivable_at([], DAY)) == set()
