"""ledger.billing — premium billing read from the bitemporal ledger: rates, cycles, bills
with adjustments, their documents, payments (CLI and 820), reminders, aging, commission.

Built on ledger.store only (the floor of ledger.fullfile). Faces call the names below.
"""

from ledger.billing.bills import balance, files_of, list_bills, run_bills, show_bill
from ledger.billing.commission import load_commission, run_commission, statement_lines
from ledger.billing.config import load_billing_config, load_billing_doc
from ledger.billing.cycles import Cycle, cycle_for, set_cycle
from ledger.billing.documents import Issuer
from ledger.billing.files import write_bill_files
from ledger.billing.money import Period, dollars, parse_dollars
from ledger.billing.payments import (
    PaymentResult,
    apply_remittances,
    credit,
    record_payment,
    reverse_payment,
)
from ledger.billing.rates import RateBook, load_rates, load_rates_csv
from ledger.billing.reminders import aging, send_reminders
from ledger.billing.run import BillResult, run_group

__all__ = [
    "BillResult",
    "Cycle",
    "Issuer",
    "PaymentResult",
    "Period",
    "RateBook",
    "aging",
    "apply_remittances",
    "balance",
    "credit",
    "cycle_for",
    "dollars",
    "files_of",
    "list_bills",
    "load_billing_config",
    "load_billing_doc",
    "load_commission",
    "load_rates",
    "load_rates_csv",
    "parse_dollars",
    "record_payment",
    "reverse_payment",
    "run_bills",
    "run_commission",
    "run_group",
    "send_reminders",
    "set_cycle",
    "show_bill",
    "statement_lines",
    "write_bill_files",
]
