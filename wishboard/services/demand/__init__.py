"""Demand: wishes and supports, their counts, area wishes, gaps, statistics and moderation."""
