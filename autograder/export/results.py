"""What `grade` left in DIR for export: DIR/results/<student_id>.json, one per student.

Export reads only these files and DIR/feedback/ (never the grader's code), so the record below is
the whole contract between grading and export. Fields export uses:

  student_id, lab, score, max_score, status, notes, file
  submitted_at   ISO 8601 with a time zone, or null when unknown
  time_source    "lms" | "zip" | "file" | null   (where submitted_at came from)
  lms            {"system": "canvas"|"moodle"|null, "late": true|false|null,
                  "name": the student's name as the LMS file name gives it, or null,
                  "submission_id": the second number of a Canvas download name, or null}

A record without submitted_at, time_source or lms (written by an older grader) reads as "unknown".
"""
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import course

STATUSES = ("graded", "invalid notebook", "missing notebook", "timeout", "memory limit", "kernel died",
            "output limit", "grading error")
# A grading error is the grader's fault, not the student's: its 0 must never reach a gradebook.
NOT_POSTED = ("grading error",)
TIME_SOURCES = ("lms", "zip", "file", None)
LMS_SYSTEMS = ("canvas", "moodle", None)


class ExportError(course.CourseError):
    """Export cannot run: the message names the file and the problem."""


@dataclass
class Result:
    student_id: str
    lab: str
    score: float
    max_score: float
    status: str
    file: str = ""
    notes: list = field(default_factory=list)
    submitted_at: datetime = None
    time_source: str = None
    lms_system: str = None
    lms_late: bool = None
    lms_name: str = None
    lms_submission_id: str = None

    @property
    def kind(self):
        """The status without its detail: 'invalid notebook: not JSON' -> 'invalid notebook'."""
        return next((s for s in STATUSES if self.status.startswith(s)), self.status)

    @property
    def posted(self):
        """Whether this result's points go to the LMS (every status but a grading error)."""
        return self.kind not in NOT_POSTED


def parse_time(text, where):
    """An aware datetime from ISO 8601 TEXT; ExportError naming WHERE when it is not one."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ExportError(f"{where}: {text!r} is not an ISO 8601 date and time")
    if when.tzinfo is None:
        raise ExportError(f"{where}: {text!r} has no time zone (write it as e.g. 2025-03-01T23:59:00+01:00)")
    return when


def _read(path, lab):
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ExportError(f"{path}: not a readable JSON results file ({error})")
    if not isinstance(data, dict):
        raise ExportError(f"{path}: not a results record (a JSON object)")
    if data.get("lab") != lab:
        return None
    missing = [k for k in ("student_id", "score", "max_score", "status") if k not in data]
    if missing:
        raise ExportError(f"{path}: missing {', '.join(missing)}")
    try:
        score, max_score = float(data["score"]), float(data["max_score"])
    except (TypeError, ValueError):
        raise ExportError(f"{path}: score and max_score must be numbers")
    if max_score <= 0:
        raise ExportError(f"{path}: max_score must be positive, not {max_score:g}")
    lms = data.get("lms") or {}
    if not isinstance(lms, dict):
        raise ExportError(f"{path}: lms must be an object")
    if data.get("time_source") not in TIME_SOURCES:
        raise ExportError(f"{path}: time_source must be one of lms, zip, file or null")
    if lms.get("system") not in LMS_SYSTEMS:
        raise ExportError(f"{path}: lms.system must be canvas, moodle or null")
    submitted = data.get("submitted_at")
    return Result(
        student_id=str(data["student_id"]), lab=lab, score=score, max_score=max_score,
        status=str(data["status"]), file=str(data.get("file") or ""), notes=list(data.get("notes") or []),
        submitted_at=parse_time(submitted, f"{path}: submitted_at") if submitted else None,
        time_source=data.get("time_source"), lms_system=lms.get("system"), lms_late=lms.get("late"),
        lms_name=lms.get("name"),
        lms_submission_id=None if lms.get("submission_id") is None else str(lms["submission_id"]))


def load(out, lab):
    """[Result] of LAB in OUT/results, by student id; ExportError when there is none."""
    folder = Path(out) / "results"
    if not folder.is_dir():
        raise ExportError(f"{folder} does not exist: run `python -m autograder grade {lab} SUBMISSIONS "
                          f"--out {out}` first")
    results = [r for r in (_read(p, lab) for p in sorted(folder.glob("*.json"))) if r]
    if not results:
        raise ExportError(f"{folder} holds no results for {lab}")
    return sorted(results, key=lambda r: r.student_id)
