"""Tamper-evident record: EPCIS events, Merkle batches, chain anchoring, proofs (later issue)."""
