"""Reading a schedule as typed: ``--at``, ``--cron`` or ``--local-time`` (with ``--date``).

Each becomes a :class:`ScheduleSpec`: the APScheduler trigger, the job function that
fires it with its plain arguments, and a readable description kept on the campaign.
Every mistake is a :class:`ScheduleError` whose message names the option and shows a
correct example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]

from campaigns.campaign_store import CampaignError

# The first and last offsets in use on Earth: a wall-clock time is reached first at
# UTC+14 (Line Islands) and last at UTC-12 (Baker Island).
EARLIEST_ZONE = timezone(timedelta(hours=14))
LATEST_ZONE = timezone(timedelta(hours=-12))

FIRE_AT = "campaigns.scheduling.jobs:fire_at"
FIRE_CRON = "campaigns.scheduling.jobs:fire_cron"
FIRE_LOCAL = "campaigns.scheduling.jobs:fire_local"

HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# crontab numbers weekdays from Sunday (0 or 7); APScheduler 3.x from Monday (0), so
# numeric weekdays are rewritten as names, which both read alike.
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(CampaignError):
    """A schedule can't be read or can't be used; the message says which option and why."""


@dataclass(frozen=True)
class ScheduleSpec:
    """A parsed schedule: what fires, when, and how to describe it."""

    kind: str  # "at", "cron" or "local"
    trigger: BaseTrigger
    # The job function ("module:function") and its arguments after the campaign id.
    func: str
    extra_args: tuple[str, ...]
    description: str
    # The zone the schedule is described in, for showing its next run.
    zone: tzinfo
    local_time: str | None = None

    def job_args(self, campaign_id: int) -> tuple[int | str, ...]:
        """The job's plain arguments: the campaign id, then the spec's own."""
        return (campaign_id, *self.extra_args)


def parse_zone(name: str, option: str = "--timezone") -> ZoneInfo:
    """An IANA time zone such as ``Asia/Ho_Chi_Minh``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"{option} {name!r}: unknown time zone; use an IANA name like 'Europe/Paris'"
        ) from None


def parse_at(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date and time; without an offset it is read in ``zone``."""
    example = "expected ISO 8601 like 2026-12-01T09:00+07:00 or 2026-12-01 09:00"
    stripped = text.strip()
    if not re.search(r"\d[T ]\d", stripped):
        raise ScheduleError(f"--at {text!r}: {example} (a date and a time)")
    try:
        when = datetime.fromisoformat(stripped)
    except ValueError:
        raise ScheduleError(f"--at {text!r}: {example}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when


def at_spec(text: str, zone: tzinfo, now: datetime) -> ScheduleSpec:
    """A one-off send at an instant, which must be in the future."""
    when = parse_at(text, zone)
    if when <= now:
        raise ScheduleError(
            f"--at {text!r} is in the past ({when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC); "
            "use `hookline campaign send` to send now"
        )
    shown = when.isoformat(sep=" ", timespec="seconds" if when.second else "minutes")
    where = f" ({when.tzinfo})" if isinstance(when.tzinfo, ZoneInfo) else ""
    return ScheduleSpec(
        kind="at",
        trigger=DateTrigger(run_date=when),
        func=FIRE_AT,
        extra_args=(),
        description=f"at {shown}{where}",
        zone=when.tzinfo or zone,
    )


def _weekday(token: str) -> int:
    """A crontab weekday, 0-7 or a name, as 0 (Sunday) to 6 (Saturday)."""
    lowered = token.lower()
    if lowered in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(lowered)
    if lowered.isdigit() and int(lowered) <= 7:
        return int(lowered) % 7
    raise ValueError(f"unknown weekday {token!r}")


def crontab_weekdays(field: str) -> str:
    """The day-of-week field in crontab's meaning, written as names for APScheduler.

    ``1-5`` (Monday to Friday in crontab) would mean Tuesday to Saturday to APScheduler
    3.x, so every item is expanded to the days it names.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        spec, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {item!r}")
        if spec == "*":
            first, last = 0, 6
        elif "-" in spec:
            low, high = spec.split("-", 1)
            first, last = _weekday(low), _weekday(high)
            if last == 0 and first > 0:
                last = 7  # "1-7" or "mon-sun": Monday to Sunday
        else:
            first = last = _weekday(spec)
            if step_text:
                last = 6
        if last < first:
            raise ValueError(f"range {item!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    # Listed from Monday, as APScheduler counts them.
    return ",".join(WEEKDAY_NAMES[day] for day in sorted(days, key=lambda d: (d + 6) % 7))


def cron_trigger(expr: str, zone: ZoneInfo) -> CronTrigger:
    """A 5-field crontab expression (minute hour day month weekday) in ``zone``."""
    fields = expr.split()
    fields_are = "minute hour day month weekday, like '0 9 * * MON'"
    if len(fields) != 5:
        raise ScheduleError(f"--cron {expr!r}: expected 5 fields: {fields_are}")
    try:
        fields[4] = crontab_weekdays(fields[4])
        trigger = CronTrigger.from_crontab(" ".join(fields), timezone=zone)
    except ValueError as exc:
        raise ScheduleError(f"--cron {expr!r}: {exc} (fields: {fields_are})") from None
    return trigger


def cron_spec(expr: str, zone: ZoneInfo, now: datetime) -> ScheduleSpec:
    """A campaign sent again at every occurrence of a crontab schedule."""
    expr = " ".join(expr.split())
    trigger = cron_trigger(expr, zone)
    if trigger.get_next_fire_time(None, now) is None:
        raise ScheduleError(f"--cron {expr!r} never fires")
    return ScheduleSpec(
        kind="cron",
        trigger=trigger,
        func=FIRE_CRON,
        extra_args=(expr, zone.key),
        description=f"cron {expr} ({zone.key})",
        zone=zone,
    )


def parse_local_time(text: str) -> time:
    """``HH:MM`` on a 24-hour clock."""
    match = HH_MM.match(text.strip())
    if match is None:
        raise ScheduleError(f"--local-time {text!r}: expected HH:MM on a 24-hour clock, like 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def parse_date(text: str) -> date:
    """``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(f"--date {text!r}: expected YYYY-MM-DD, like 2026-12-01") from None


def earliest_instant(day: date, at: time) -> datetime:
    """When the first time zone on Earth reaches ``day`` at ``at`` (UTC+14)."""
    return datetime.combine(day, at, tzinfo=EARLIEST_ZONE)


def latest_instant(day: date, at: time) -> datetime:
    """When the last time zone on Earth reaches ``day`` at ``at`` (UTC-12)."""
    return datetime.combine(day, at, tzinfo=LATEST_ZONE)


def local_spec(time_text: str, date_text: str | None, now: datetime) -> ScheduleSpec:
    """A send at a wall-clock time in each recipient's own time zone.

    Without ``--date``, the first date on which no time zone has yet reached that time.
    The job fires when the first zone reaches it; a date some zones have already
    passed fires at once, and their recipients are due at once.
    """
    at = parse_local_time(time_text)
    if date_text is None:
        day = now.astimezone(EARLIEST_ZONE).date()
        if earliest_instant(day, at) <= now:
            day += timedelta(days=1)
    else:
        day = parse_date(date_text)
        if latest_instant(day, at) <= now:
            raise ScheduleError(
                f"--date {date_text} --local-time {time_text}: that time has passed "
                "in every time zone"
            )
    fire = max(earliest_instant(day, at), now)
    hh_mm = at.strftime("%H:%M")
    return ScheduleSpec(
        kind="local",
        trigger=DateTrigger(run_date=fire),
        func=FIRE_LOCAL,
        extra_args=(day.isoformat(), hh_mm),
        description=f"local {hh_mm} on {day.isoformat()} (each recipient's time zone)",
        zone=UTC,
        local_time=hh_mm,
    )


def spec_from_options(
    at: str | None,
    cron: str | None,
    local_time: str | None,
    on_date: str | None,
    zone_name: str | None,
    default_zone: str,
    now: datetime | None = None,
) -> ScheduleSpec:
    """The schedule the options describe; exactly one of --at, --cron, --local-time."""
    now = now or datetime.now(UTC)
    options = (("--at", at), ("--cron", cron), ("--local-time", local_time))
    given = [name for name, value in options if value is not None]
    if len(given) != 1:
        raise ScheduleError(
            "give exactly one of --at, --cron and --local-time"
            + (f" (got {' and '.join(given)})" if given else "")
        )
    if on_date is not None and local_time is None:
        raise ScheduleError("--date goes with --local-time (--at takes the date itself)")
    if zone_name is not None and local_time is not None:
        raise ScheduleError(
            "--timezone doesn't apply to --local-time: each recipient gets it in their own zone"
        )
    zone = parse_zone(zone_name) if zone_name else parse_zone(default_zone, "[audience] timezone")
    if at is not None:
        return at_spec(at, zone, now)
    if cron is not None:
        return cron_spec(cron, zone, now)
    assert local_time is not None
    return local_spec(local_time, on_date, now)
