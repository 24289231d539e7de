"""The Django admin of the portal's data, one module per subject.

Every list is built for TFLink's size (millions of interactions, tens of thousands of
proteins); imported strings are data, rendered by Django's escaping templates.  Curation
goes through ``curation.workflow`` only; spreadsheet import and export follow
``proteins.resources``; staff upload pages on the import runs' page, through the importer, and mode tables
(TRRUST) from the statements' page; both, and large spreadsheets, run as background jobs (``jobs``).
Helpers shared with ``curation.admin`` live in ``portal.admin_tools``.
"""

from .content import SitePageAdmin
from .evidence import DetectionMethodAdmin, OrganismAdmin, PublicationAdmin, SourceDatabaseAdmin
from .imports import DeferredIndexAdmin, ImportRecordAdmin, ImportRecordInline
from .interactions import BindingSiteAdmin, InteractionAdmin, StatementAdmin
from .jobs import JobAdmin
from .mode_tables import ModeTableRunAdmin
from .proteins import GeneIdAdmin, OrthologAdmin, ProteinAdmin
from .upload import ImportRunAdmin

__all__ = [
    "BindingSiteAdmin",
    "DeferredIndexAdmin",
    "DetectionMethodAdmin",
    "GeneIdAdmin",
    "ImportRecordAdmin",
    "ImportRecordInline",
    "ImportRunAdmin",
    "InteractionAdmin",
    "JobAdmin",
    "ModeTableRunAdmin",
    "OrganismAdmin",
    "OrthologAdmin",
    "ProteinAdmin",
    "PublicationAdmin",
    "SitePageAdmin",
    "SourceDatabaseAdmin",
    "StatementAdmin",
]
