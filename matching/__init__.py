"""Feasibility, scoring and allocation: pure computation over plain data (a later issue)."""
