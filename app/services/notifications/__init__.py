"""The in-app notification centre and e-mail."""
