"""Reminders on notes: presets, repeats by RFC 5545 rules, zones, what is due."""
