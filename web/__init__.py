"""web — the review desk in the browser: server-rendered pages over the same ledger.desk
calls as the command line (no business rule here). `create_app(settings)` builds the
FastAPI application; `enroll834 serve` runs it on uvicorn.
"""

from web.app import create_app

__all__ = ["create_app"]
