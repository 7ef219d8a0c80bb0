"""Hookline's audiences: contacts, consent, imports, and the segment query language."""
