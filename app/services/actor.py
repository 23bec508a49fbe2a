"""Who is acting: built from a session, a device token, a CLI command or a job."""
from __future__ import annotations

from dataclasses import dataclass

from app.models import Role, User

__all__ = ["Actor", "Role"]  # doors (sync, jobs) name roles through the services


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: Role
    department_id: int | None = None
    area_id: int | None = None
    username: str = ""

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, Role(user.role), user.department_id, user.area_id, user.username)

    @classmethod
    def system(cls) -> Actor:
        """The scheduler and other automatic work; acts with supervisor rights, logged as no user."""
        return cls(None, Role.SUPERVISOR, username="system")

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)
