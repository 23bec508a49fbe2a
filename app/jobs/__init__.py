"""Scheduled work: plain functions of `now` (tasks), run by one APScheduler process (scheduler)."""
