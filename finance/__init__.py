"""Credit scoring, lender consent, payments, escrow and the money journal (later issues)."""
