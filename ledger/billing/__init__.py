"""ledger.billing — premium billing read from the bitemporal ledger: rates, cycles, bills
with adjustments, their documents, payments (CLI and 820), reminders, aging, commission.

Built on ledger.store only (the floor of ledger.fullfile). Faces call the names below.
"""

from ledger.billing.bills import balance, files_of, list_bills, run_bills, show_bill
from ledger.billing.commission import (
    commission_statements,
    load_commission,
    run_commission,
    statement_lines,
)
from ledger.billing.config import load_billing_config, load_billing_doc
from ledger.billing.cycles import Cycle, cycle_for, set_cycle
from ledger.billing.documents import Issuer
from ledger.billing.files import billing_boxes, write_bill_files
from ledger.billing.money import Period, dollars, parse_dollars
from ledger.billing.payments import (
    PaymentResult,
    apply_remittances,
    credit,
    record_payment,
    reverse_payment,
)
from ledger.billing.rates import RateBook, load_rates, load_rates_csv
from ledger.billing.reminders import aging, aging_report, send_reminders
from ledger.billing.run import BillResult, run_group
from ledger.billing.text import (
    AGING_HEADER,
    BILLS_HEADER,
    aging_row,
    bill_row,
    bill_text,
    cycle_line,
    payment_line,
    reminder_row,
    run_errors,
    run_line,
    statement_text,
)

__all__ = [
    "AGING_HEADER",
    "BILLS_HEADER",
    "BillResult",
    "Cycle",
    "Issuer",
    "PaymentResult",
    "Period",
    "RateBook",
    "aging",
    "aging_report",
    "aging_row",
    "apply_remittances",
    "balance",
    "bill_row",
    "bill_text",
    "billing_boxes",
    "commission_statements",
    "credit",
    "cycle_for",
    "cycle_line",
    "dollars",
    "files_of",
    "list_bills",
    "load_billing_config",
    "load_billing_doc",
    "load_commission",
    "load_rates",
    "load_rates_csv",
    "parse_dollars",
    "payment_line",
    "record_payment",
    "reminder_row",
    "reverse_payment",
    "run_bills",
    "run_commission",
    "run_errors",
    "run_group",
    "run_line",
    "send_reminders",
    "set_cycle",
    "show_bill",
    "statement_lines",
    "statement_text",
    "write_bill_files",
]
