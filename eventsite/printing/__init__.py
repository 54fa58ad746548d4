"""Printable material for organizers: the sign-in sheet, name badges and certificates (PDF)."""
