"""The audit log: every moderation action, premises change and role change, filterable, as CSV."""

from .views import bp  # noqa: F401  (the routes below are the moderation blueprint's)
