"""matching: decide, for each member transaction, apply now or route to a person.

Entry points: `matching.route.decide_family` (the routing rules, one Decision
per member), `matching.blocking.person_keys` / `transaction_keys` (what the
ledger indexes and looks up), `matching.evaluate` (labelled evaluation).
See matching/README.md for the weights, the gate and the measured results.
"""
