"""Shared plumbing every context builds on."""
