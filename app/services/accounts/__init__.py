"""Users, device tokens, login throttling, the audit log, administration."""
