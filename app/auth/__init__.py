"""Logging in: web sessions (Flask-Login) and device tokens for the API."""
