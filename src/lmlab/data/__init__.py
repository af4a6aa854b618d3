"""Readers and writers of the real dataset formats (SPEC §4) and the synthetic default corpus."""
