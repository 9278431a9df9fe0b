"""ledger.clients — employer-group clients: their accounts (an administrator mailed a
one-time code, delegated users with privileges), the mailed letters, and online
submissions that become the same 834 member transactions as a trading partner's file.

Built on ledger.store, ledger.desk (users, sessions) and ledger.ingest (the pipeline).
"""

from ledger.clients.accounts import (
    CLIENT_ROLE,
    MIN_PASSWORD,
    PRIVILEGES,
    Address,
    Client,
    ClientUser,
    Invitation,
    MailRoom,
    NotFound,
    add_client_user,
    client_of,
    client_users,
    deactivate_client_user,
    default_client_id,
    group_contact,
    invite,
    password_problem,
    reissue_code,
    role_of,
    set_group_contact,
    set_password,
    set_privileges,
)
from ledger.clients.bills import KINDS as BILL_FILES
from ledger.clients.bills import ClientBills, bill_file, client_bill, client_bills
from ledger.clients.changes import KINDS, choices, known_member
from ledger.clients.letters import Letter, render_pdf, write_letter
from ledger.clients.roster import RosterRow, client_roster, roster_csv
from ledger.clients.submit import STATUS_TEXT, Outcome, Refusal, submission, submissions, submit
from ledger.clients.tour import Tour, build_tour
from ledger.clients.uploads import Upload, receive, upload, upload_report, uploads

__all__ = [
    "Tour",
    "build_tour",
    "BILL_FILES",
    "ClientBills",
    "bill_file",
    "client_bill",
    "client_bills",
    "Upload",
    "receive",
    "upload",
    "upload_report",
    "uploads",
    "KINDS",
    "STATUS_TEXT",
    "Outcome",
    "Refusal",
    "RosterRow",
    "choices",
    "client_roster",
    "known_member",
    "roster_csv",
    "submission",
    "submissions",
    "submit",
    "CLIENT_ROLE",
    "MIN_PASSWORD",
    "PRIVILEGES",
    "Address",
    "Client",
    "ClientUser",
    "Invitation",
    "Letter",
    "MailRoom",
    "NotFound",
    "add_client_user",
    "client_of",
    "client_users",
    "deactivate_client_user",
    "default_client_id",
    "group_contact",
    "invite",
    "password_problem",
    "reissue_code",
    "render_pdf",
    "role_of",
    "set_group_contact",
    "set_password",
    "set_privileges",
    "write_letter",
]
