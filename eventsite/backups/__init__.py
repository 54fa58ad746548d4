"""Backups: `flask backup` writes a private dump of the database and rotates the old ones."""
