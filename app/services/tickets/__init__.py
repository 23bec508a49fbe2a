"""A ticket's life: transitions, history, access, desk, triage, re-inspection, SLA, queries."""
