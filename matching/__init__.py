"""Feasibility, scoring and allocation: pure computation over plain data (built in a later issue)."""
