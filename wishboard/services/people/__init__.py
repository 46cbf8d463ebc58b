"""People: accounts (sign-up, passwords, signed links) and their administration by admins."""
