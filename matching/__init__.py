"""matching: decide, for each member transaction, apply now or route to a person."""
