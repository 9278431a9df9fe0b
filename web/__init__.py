"""web — the review desk in the browser: server-rendered pages over the same ledger.desk
calls as the command line (no business rule here). `create_app(settings)` builds the
FastAPI application; `serve(settings, ...)` runs it on uvicorn (`enroll834 serve`).
"""

from web.app import create_app
from web.serve import serve

__all__ = ["create_app", "serve"]
