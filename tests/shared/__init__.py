"""Helpers shared by several test folders (import as ``shared.<module>``)."""
