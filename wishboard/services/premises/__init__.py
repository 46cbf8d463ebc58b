"""Premises: which ones the public sees, and their management by staff."""
