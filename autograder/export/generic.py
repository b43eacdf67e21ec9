"""DIR/lms_grades.csv: one row per student, in the lab's points, for any LMS (or a spreadsheet).

points is the score after the late penalty (blank when it must not be posted: a grading error);
score_before_penalty is the grader's total; late is yes, no or unknown (blank without --due);
late_days is how late, in days (blank when on time or unknown); penalty is the points taken off.
"""
from . import tables

HEADER = ["student_id", "name", "lms", "points", "max_points", "status", "late", "late_days", "penalty",
          "score_before_penalty", "submitted_at", "time_source", "due", "notes"]


def write(path, results, lateness, names):
    """PATH: one row per result; NAMES: student id -> the name the LMS's own file gives (else the download's)."""
    rows = []
    for r in results:
        lt = lateness[r.student_id]
        late = "" if lt.due is None else {True: "yes", False: "no", None: "unknown"}[lt.late]
        rows.append([
            r.student_id, names.get(r.student_id) or r.lms_name or "", r.lms_system or "",
            tables.points(lt.points) if r.posted else "", tables.points(r.max_score), r.status, late,
            f"{lt.late_days:.2f}" if lt.late_days is not None else "",
            tables.points(lt.penalty) if lt.due is not None else "",
            tables.points(r.score), r.submitted_at.isoformat() if r.submitted_at else "", r.time_source or "",
            lt.due.isoformat() if lt.due else "", "; ".join(list(r.notes) + lt.notes)])
    tables.write(path, HEADER, rows)
