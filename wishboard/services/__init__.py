"""Domain rules as plain functions, usable without a request."""
