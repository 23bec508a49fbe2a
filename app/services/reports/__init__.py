"""A report's way in: intake, repeats, routing, case numbers, geography."""
