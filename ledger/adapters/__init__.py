"""The ledger's external systems, each behind a small Protocol with a real client and a fake."""
