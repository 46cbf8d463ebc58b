"""Importing premises and open shops from files: one reading pipeline, two column specs."""
