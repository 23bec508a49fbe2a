"""The words and figures of the 通报, shared by its Word and PDF forms so they never differ."""
from __future__ import annotations

from flask_babel import gettext as _

from app.labels import localized_name
from app.services.supervision.bulletin import Bulletin, Totals
from app.services.supervision.ranking import RankRow


def title(bulletin: Bulletin) -> str:
    return _("Bulletin on the rectification of civilised-city problems, %(start)s to %(end)s",
             start=bulletin.period.first_day.isoformat(), end=bulletin.period.last_day.isoformat())


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def indicator_rows(now: Totals, before: Totals) -> list[tuple[str, object, object]]:
    """(label, this period, previous period): the count of N, then its four rates."""
    return [
        (_("Tickets counted (N)"), now.n, before.n),
        (_("On-time rectification rate (A)"), now.rate(now.on_time), before.rate(before.on_time)),
        (_("Rectification rate (B)"), now.rate(now.resolved), before.rate(before.resolved)),
        (_("Rework rate (R)"), now.rate(now.reworked), before.rate(before.reworked)),
        (_("Overdue rate (O)"), now.rate(now.overdue), before.rate(before.overdue)),
    ]


def change_text(now: object, before: object) -> str:
    """A count's difference, or a rate's in percentage points; – when either is unknown."""
    if now is None or before is None:
        return "–"
    if isinstance(now, int) and isinstance(before, int):
        return f"{now - before:+d}"
    return _("%(points)s points", points=f"{(now - before) * 100:+.1f}")


def ranking_header() -> list[str]:
    return [_("Rank"), _("Department"), _("Tickets counted (N)"), "A", "B", "R", "O", _("Score"), _("Grade")]


def listed_rows(bulletin: Bulletin) -> list[RankRow]:
    """The units with tickets in the period: a unit with none has nothing to report."""
    return [row for row in bulletin.ranking.rows if row.counts.n]


def ranking_values(row: RankRow) -> list[str]:
    return [str(row.rank) if row.rank is not None else _("Too few tickets"), localized_name(row.department),
            str(row.counts.n), percent(row.on_time_rate), percent(row.resolved_rate), percent(row.rework_rate),
            percent(row.overdue_rate), "–" if row.score is None else f"{row.score:.1f}", row.grade or "–"]


def criticism_text(bulletin: Bulletin) -> str:
    if not bulletin.criticised:
        return _("No unit is named for criticism in this period.")
    names = "、".join(localized_name(row.department) for row in bulletin.criticised)
    return _("The following units are named for criticism (a score below %(below)g, or %(overdue)d overdue "
             "tickets or more), and are to rectify at once: %(names)s.",
             below=bulletin.thresholds.criticise_below, overdue=bulletin.thresholds.criticise_overdue, names=names)


def days_overdue(ticket, bulletin: Bulletin) -> int:
    """Whole days past the deadline at the period's end (or now)."""
    end = min(bulletin.period.end, bulletin.issued_at)
    return max(0, int((end - ticket.due_at).total_seconds() // 86400))
