"""Demand reports for landlords: the report, its files, its signed links and its e-mails."""
