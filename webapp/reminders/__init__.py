"""Reminders: when they fall due, repeat, and reach the person."""
