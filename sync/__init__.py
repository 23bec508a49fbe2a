"""The server half of the offline sync protocol (docs/sync-protocol.md); `bp` serves POST /api/v1/sync."""
from sync.views import bp

__all__ = ["bp"]
