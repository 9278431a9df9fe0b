"""ledger.drops — drop folders: claims shared by many workers, the event tap between reader
and ledger, and what a run writes for people (sender reports, reason files).

Built on ledger.ingest and the rooms below it.
"""

from ledger.drops.claims import drop_claims, set_lock_timeout
from ledger.drops.folder import TemporaryFailure, run_drop
from ledger.drops.ingest_partners import ingest_with_partners
from ledger.drops.progress import MemberProgress

__all__ = [
    "MemberProgress",
    "TemporaryFailure",
    "drop_claims",
    "ingest_with_partners",
    "run_drop",
    "set_lock_timeout",
]
