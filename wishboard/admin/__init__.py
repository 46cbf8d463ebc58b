"""Administrators: accounts and roles, and the shop-type taxonomy."""
