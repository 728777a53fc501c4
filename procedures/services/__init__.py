"""Writes to the catalogue: ``<entity>_<action>(*, ...)`` services (house style, architecture.md)."""

from procedures.services.catalogue_export import CatalogueExportError, ExportReport, catalogue_export
from procedures.services.catalogue_import import (
    CatalogueImportError,
    ImportIssue,
    ImportReport,
    catalogue_import,
    catalogue_read,
    catalogue_validate,
)
from procedures.services.demo import catalogue_load_demo
from procedures.services.versions import procedure_version_create, procedure_versions_close

__all__ = [
    "CatalogueExportError",
    "CatalogueImportError",
    "ExportReport",
    "ImportIssue",
    "ImportReport",
    "catalogue_export",
    "catalogue_import",
    "catalogue_load_demo",
    "catalogue_read",
    "catalogue_validate",
    "procedure_version_create",
    "procedure_versions_close",
]
