"""Domain logic. Services take an Actor, never touch Flask's request, flush and never commit."""
