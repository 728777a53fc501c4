"""Fixtures for catalogue tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from procedures.catalogue_format import AGENCY_COLUMNS, PROCEDURE_COLUMNS, STEP_COLUMNS
from tests.procedures.helpers import write_table


@pytest.fixture
def catalogue_files(tmp_path: Path) -> Callable[..., dict[str, Path]]:
    """Write agencies.csv / procedures.csv / steps.csv from row lists; returns the paths by kind."""

    def make(
        *,
        agencies: Sequence[dict[str, str]] | None = None,
        procedures: Sequence[dict[str, str]] = (),
        steps: Sequence[dict[str, str]] | None = None,
        folder: str = "in",
    ) -> dict[str, Path]:
        base = tmp_path / folder
        base.mkdir(exist_ok=True)
        paths = {"procedures": write_table(base / "procedures.csv", PROCEDURE_COLUMNS, procedures)}
        if agencies is not None:
            paths["agencies"] = write_table(base / "agencies.csv", AGENCY_COLUMNS, agencies)
        if steps is not None:
            paths["steps"] = write_table(base / "steps.csv", STEP_COLUMNS, steps)
        return paths

    return make
