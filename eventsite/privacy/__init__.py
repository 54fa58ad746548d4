"""A member's rights over their own data (PIPL): a copy of everything, and the account's deletion."""
