"""City staff: the review queue, flags, premises management and the audit log."""
