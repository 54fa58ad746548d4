"""Accounts: members, roles, sign-up and sign-in, profile."""
