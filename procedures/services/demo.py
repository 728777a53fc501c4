"""Load the committed demo catalogue (``procedures/demo/*.csv``, built from shared/data by
``procedures_build_demo``)."""

from __future__ import annotations

from pathlib import Path

from procedures.reference import DEMO_DIR
from procedures.services.catalogue_import import ImportReport, catalogue_import


def catalogue_load_demo(*, directory: Path = DEMO_DIR) -> ImportReport:
    """Import the demo agencies, procedures and steps; running it again changes nothing."""
    return catalogue_import(
        procedures=directory / "procedures.csv",
        steps=directory / "steps.csv",
        agencies=directory / "agencies.csv",
    )
