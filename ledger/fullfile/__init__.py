"""ledger.fullfile — full files: reconciliation against the ledger, the guard and its held
files, reports, and the ledger written back out as an 834 (export834).

Built on ledger.store only.
"""

from ledger.fullfile.export834 import ExportOptions, write_export
from ledger.fullfile.files import (
    divert_full_sets,
    keep_held_since,
    reconcile_file,
    write_reports_since,
)
from ledger.fullfile.held import close_held, held_runs, override_held
from ledger.fullfile.reconcile import Reconciliation, reconcile_set
from ledger.fullfile.report import report_guard_resolution, write_reports
from ledger.fullfile.runs import last_run_id, load_run
from ledger.fullfile.work import (
    DECISIONS,
    RECONCILIATION_QUEUE,
    Decided,
    decide,
    file_member,
    is_reconciliation,
    queue_discrepancies,
    summary_of,
)

__all__ = [
    "DECISIONS",
    "RECONCILIATION_QUEUE",
    "Decided",
    "ExportOptions",
    "Reconciliation",
    "decide",
    "file_member",
    "is_reconciliation",
    "queue_discrepancies",
    "summary_of",
    "write_reports",
    "close_held",
    "divert_full_sets",
    "held_runs",
    "keep_held_since",
    "last_run_id",
    "load_run",
    "override_held",
    "reconcile_file",
    "reconcile_set",
    "report_guard_resolution",
    "write_export",
    "write_reports_since",
]
