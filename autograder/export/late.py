"""Due dates, extensions and the late penalty, applied to a graded total.

Policy (every part optional but --due):
  --due WHEN            the deadline (ISO 8601; without an offset, in --timezone)
  --extensions CSV      per-student deadlines: columns student and due (a date) or extension (2d, 36h)
  --penalty RATE        10%/day or 2%/hour of the maximum (or, --penalty-of score, of the score),
                        charged per started day or hour after the deadline and the grace period
  --penalty-cap PCT     the most a late submission loses (default 100%)
  --cutoff WHEN         score 0 after this: a duration after each student's deadline (7d) or a date
  --grace DURATION      lateness forgiven (e.g. 10m for an upload that finished after the bell)

Submission times are the grader's submitted_at. When a time is unknown but Canvas tagged the
file LATE, the submission is charged one day or hour (the least a late submission costs) and
says so; when nothing is known, no penalty is applied and the student is listed for a check.
"""
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import tables
from .results import ExportError

UNITS = {"d": timedelta(days=1), "day": timedelta(days=1), "days": timedelta(days=1),
         "h": timedelta(hours=1), "hour": timedelta(hours=1), "hours": timedelta(hours=1)}
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|days?|hours?|min(?:utes?)?)", re.I)
RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*(?:/|per)\s*(d|day|h|hour)\s*$", re.I)


def timezone(name):
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        raise ExportError(f"--timezone {name!r} is not a time zone name (e.g. Europe/Berlin, America/New_York)")


def parse_when(text, tz, where):
    """An aware datetime from TEXT (ISO 8601, 'T' or a space between date and time); a time without an
    offset is in TZ (None: this machine's local time zone)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(f"{where}: {text!r} is not a date and time (write e.g. 2025-03-01T23:59 or "
                          f"2025-03-01T23:59:00+01:00)")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz) if tz else when.astimezone()
    return when


def parse_duration(text, where):
    """A timedelta from '2d', '36h', '90m', '1d12h' or '1.5d'."""
    text = text.strip()
    parts = DURATION.findall(text)
    if not parts or DURATION.sub("", text).strip():
        raise ExportError(f"{where}: {text!r} is not a duration (write e.g. 2d, 36h, 90m, 1d12h)")
    total = timedelta()
    for number, unit in parts:
        unit = unit.lower()
        total += float(number) * (UNITS.get(unit) or timedelta(minutes=1))
    return total


def parse_rate(text):
    """(fraction, timedelta unit) from '10%/day' or '2%/hour'."""
    match = RATE.match(text or "")
    if not match:
        raise ExportError(f"--penalty {text!r}: write a percentage per day or per hour, e.g. 10%/day or 2%/hour")
    return float(match[1]) / 100, UNITS[match[2].lower()]


def parse_percent(text, where):
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise ExportError(f"{where}: {text!r} is not a percentage (e.g. 50%)")
    if not 0 <= value <= 100:
        raise ExportError(f"{where}: {text!r} must be between 0% and 100%")
    return value / 100


@dataclass
class Extension:
    key: str        # a student id, email, login or ID number
    due: datetime = None
    extra: timedelta = None
    line: int = 0
    used: bool = False


def read_extensions(path, tz):
    """[Extension] from the CSV file PATH (columns student and due or extension)."""
    header, rows = tables.read(path, "extensions file")
    student = tables.column(header, path, "extensions file", "student", "student_id", "id", "email")
    due = tables.column(header, path, "extensions file", "due", required=False)
    extra = tables.column(header, path, "extensions file", "extension", "extra", required=False)
    if due is None and extra is None:
        raise ExportError(f"{path}: extensions file needs a 'due' or an 'extension' column "
                          f"(its columns: {', '.join(header)})")
    result = []
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if not row[student]:
            raise ExportError(f"{where}: no student")
        ext = Extension(row[student], line=line)
        if due is not None and row[due]:
            ext.due = parse_when(row[due], tz, where)
        elif extra is not None and row[extra]:
            ext.extra = parse_duration(row[extra], where)
        else:
            raise ExportError(f"{where}: student {row[student]} has neither a due date nor an extension")
        result.append(ext)
    return result


@dataclass
class Policy:
    due: datetime
    rate: float = 0.0                  # fraction of the base per unit
    unit: timedelta = timedelta(days=1)
    cap: float = 1.0                   # most a late submission loses, as a fraction of the base
    cutoff: object = None              # timedelta after each deadline, or a datetime, or None
    grace: timedelta = timedelta()
    of_score: bool = False             # the base: the score itself instead of the maximum
    extensions: list = field(default_factory=list)

    def deadline(self, keys):
        """(the deadline, the Extension used or None) for a student known by KEYS."""
        folded = {k.casefold() for k in keys if k}
        for ext in self.extensions:
            if ext.key.casefold() in folded:
                ext.used = True
                return (ext.due or self.due + ext.extra), ext
        return self.due, None

    def unit_name(self):
        return "day" if self.unit == timedelta(days=1) else "hour"


@dataclass
class Lateness:
    """What the policy did to one result."""
    points: float                      # the score after the penalty
    penalty: float = 0.0               # points taken off
    due: datetime = None
    extension: bool = False
    late: bool = None                  # None: unknown
    late_by: timedelta = None          # None: unknown (or on time)
    units: int = 0                     # days or hours charged
    past_cutoff: bool = False
    notes: list = field(default_factory=list)

    @property
    def late_days(self):
        return None if self.late_by is None else self.late_by / timedelta(days=1)


def describe(delta):
    """'1 day 2 h 5 min' for a timedelta."""
    minutes = round(delta.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "", f"{hours} h" if hours else "",
             f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p) or "0 min"


def assess(result, policy, keys):
    """Lateness of RESULT under POLICY (None: no due date, nothing changes); KEYS: the student's ids."""
    if policy is None or not result.posted or result.kind == "missing notebook":
        return Lateness(points=result.score)
    due, extension = policy.deadline(keys)
    out = Lateness(points=result.score, due=due, extension=extension is not None)
    base = result.score if policy.of_score else result.max_score
    when = result.submitted_at
    lms = {"canvas": "Canvas", "moodle": "Moodle"}.get(result.lms_system, "the LMS")
    if when is None:
        if result.lms_late is None:
            out.notes.append("submission time unknown: no late penalty applied")
            return out
        out.late = bool(result.lms_late)
        if not out.late:
            out.notes.append(f"submission time unknown; {lms} did not mark it late")
            return out
        out.units = 1
        out.notes.append(f"submission time unknown; {lms} marked it late: charged one {policy.unit_name()}, "
                         f"the least a late submission costs")
    else:
        late_by = when - due
        out.late = late_by > policy.grace
        if out.late:
            out.late_by = late_by
        if result.lms_late is not None and bool(result.lms_late) != out.late:
            out.notes.append(f"{lms} marked it {'late' if result.lms_late else 'on time'}; "
                             f"the penalty follows the submission time and the deadline here")
        if not out.late:
            return out
        out.units = math.ceil((late_by - policy.grace) / policy.unit)
        cutoff = policy.cutoff
        if cutoff is not None:
            limit = cutoff if isinstance(cutoff, datetime) else due + cutoff
            out.past_cutoff = when > limit
        if result.time_source in ("zip", "file"):
            out.notes.append(f"submission time from the {result.time_source}'s file time, not from the LMS")
    fraction = min(policy.rate * out.units, policy.cap)
    deduction = result.score if out.past_cutoff else fraction * base
    out.points = round(max(0.0, result.score - deduction), 6)
    out.penalty = round(result.score - out.points, 6)
    return out
