"""Stems: import, align, null-test, separate and derive versions from a song's stems."""
