"""Everything that runs inside a unit of work without a call for it: SQLAlchemy session hooks.

Installed once, from `create_app()`. In the order they run at flush and at commit:
- `supervision.map_rollup`: a ticket's map position (pixel columns) follows its coordinates (before flush);
- `supervision.rollups`: map cells and dashboard days follow every ticket change (flush, then before commit);
- `change_log`: the sync change feed records which tickets and categories changed, numbered in
  commit order (before commit, after the rollups' upserts took their locks).
"""
from __future__ import annotations

from app.services import change_log
from app.services.supervision import map_rollup, rollups


def install(session_target) -> None:
    map_rollup.install(session_target)
    rollups.install(session_target)
    change_log.install(session_target)
