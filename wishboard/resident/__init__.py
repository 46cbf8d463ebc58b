"""What a signed-in resident does: wish, support, withdraw, and manage their own data."""
