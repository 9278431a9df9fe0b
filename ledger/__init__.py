"""ledger: the append-only, bitemporal system of record."""
