"""The county's working-day calendar: holidays and make-up working days as data (issue 16)."""
