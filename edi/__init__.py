"""edi: bytes in; typed member transactions, findings and acknowledgments out."""
