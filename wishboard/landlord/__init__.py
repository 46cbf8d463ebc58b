"""Landlords: their premises, each one's demand report, summaries by e-mail, marking as let.

A landlord with an account signs in; one without opens a premises through the signed link of
the summary e-mail. Staff read every report.
"""
