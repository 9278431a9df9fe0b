"""ledger.billing — premium billing read from the bitemporal ledger: rates, cycles, bills
with adjustments, their documents, payments (CLI and 820), reminders, aging, commission.

Built on ledger.store only (the floor of ledger.fullfile). Faces call the names below.
"""

from ledger.billing.bills import balance, list_bills, run_bills, show_bill
from ledger.billing.cycles import Cycle, cycle_for, set_cycle
from ledger.billing.documents import Issuer
from ledger.billing.files import write_bill_files
from ledger.billing.money import Period, dollars, parse_dollars
from ledger.billing.rates import RateBook, load_rates, load_rates_csv
from ledger.billing.run import BillResult, run_group

__all__ = [
    "BillResult",
    "Cycle",
    "Issuer",
    "Period",
    "RateBook",
    "balance",
    "cycle_for",
    "dollars",
    "list_bills",
    "load_rates",
    "load_rates_csv",
    "parse_dollars",
    "run_bills",
    "run_group",
    "set_cycle",
    "show_bill",
    "write_bill_files",
]
