"""Moderators' premises management: create, edit, withdraw, mark as let, and import."""

from .views import bp  # noqa: F401  (the routes below are the moderation blueprint's)
