"""`python -m autograder export LAB DIR`: grades and feedback back into Canvas or Moodle, late penalties applied.

Reads what `grade LAB SUBMISSIONS --out DIR` wrote (DIR/results/*.json, DIR/feedback/*.html) and writes:

  DIR/lms_grades.csv        always: student_id, points (after the late penalty), max_points, status,
                            late, late_days, penalty, score_before_penalty, submitted_at, due, notes
  DIR/canvas_import.csv     with --canvas GRADEBOOK.csv (Canvas: Grades > Export): the key columns and
                            the lab's assignment column, points scaled to Canvas's points possible;
                            import it in Grades > Import
  DIR/moodle_import.csv     with --moodle PARTICIPANTS.csv: Moodle's gradebook CSV import (map
                            'Email address' or 'ID number' to the user); when PARTICIPANTS.csv is the
                            assignment's grading worksheet, also DIR/moodle_worksheet.csv, that
                            worksheet with Grade filled in (Upload grading worksheet)
  DIR/lms_feedback/<id>.html   each student's feedback page plus a late-submission section
  DIR/canvas_feedback.zip   those pages named for Canvas's Re-Upload Submissions (Canvas downloads)
  DIR/moodle_feedback.zip   those pages laid out for Moodle's "Upload multiple feedback files in a zip"
  DIR/export_report.txt     what needs a look: unmatched, duplicate and ungraded students, unknown
                            submission times, students the LMS lists without a submission (also printed)

Students are matched by the id `grade` read from the download names: the Canvas user id (the
gradebook's ID, else its SIS User ID or SIS Login ID), the Moodle participant id (the worksheet's
Identifier), or a plain id equal to an Email address or ID number. A grading error is never posted.
"""
from pathlib import Path

from .. import course
from . import canvas, feedback, generic, late, moodle, results, tables
from .results import ExportError


def configure(parser):
    parser.add_argument("lab", metavar="LAB", help="lab folder name, e.g. 01_xor_mlp")
    parser.add_argument("dir", metavar="DIR", type=Path, help="the --out folder of `grade`")
    lms = parser.add_argument_group("LMS files")
    lms.add_argument("--canvas", metavar="GRADEBOOK.csv", type=Path, help="Canvas's gradebook export")
    lms.add_argument("--assignment", metavar="TITLE|ID",
                     help="the Canvas assignment column (default: the one whose title names the lab)")
    lms.add_argument("--moodle", metavar="PARTICIPANTS.csv", type=Path,
                     help="Moodle's grading worksheet for the assignment, or a user list with emails or ID numbers")
    lms.add_argument("--moodle-item", metavar="NAME", help="grade column name in moodle_import.csv (default: LAB)")
    lms.add_argument("--moodle-max", metavar="POINTS", type=float,
                     help="Moodle's maximum grade, to scale to (default: the worksheet's Maximum Grade, else the lab's)")
    policy = parser.add_argument_group("late policy (see autograder/export/late.py)")
    policy.add_argument("--due", metavar="WHEN", help="deadline, e.g. 2025-03-01T23:59 or 2025-03-01T23:59:00+01:00")
    policy.add_argument("--timezone", metavar="ZONE", help="time zone of dates without an offset (default: this machine's)")
    policy.add_argument("--extensions", metavar="CSV", type=Path,
                        help="per-student deadlines: columns student and due (a date) or extension (e.g. 2d)")
    policy.add_argument("--penalty", metavar="RATE", help="e.g. 10%%/day or 2%%/hour, per started day or hour")
    policy.add_argument("--penalty-cap", metavar="PCT", help="the most a late submission loses (default 100%%)")
    policy.add_argument("--penalty-of", choices=("maximum", "score"), default="maximum",
                        help="what the percentage is of (default: the maximum, as Canvas's late policy)")
    policy.add_argument("--cutoff", metavar="WHEN", help="no points after this: a duration after the deadline (7d) or a date")
    policy.add_argument("--grace", metavar="DURATION", help="lateness forgiven, e.g. 10m")


def build_policy(args, tz):
    """The late Policy the arguments describe, or None without --due."""
    if not args.due:
        given = [f"--{name.replace('_', '-')}" for name in ("extensions", "penalty", "penalty_cap", "cutoff", "grace")
                 if getattr(args, name)]
        if given:
            raise ExportError(f"{', '.join(given)} need(s) --due")
        return None
    policy = late.Policy(due=late.parse_when(args.due, tz, "--due"), of_score=args.penalty_of == "score")
    if args.penalty:
        policy.rate, policy.unit = late.parse_rate(args.penalty)
    if args.penalty_cap:
        policy.cap = late.parse_percent(args.penalty_cap, "--penalty-cap")
    if args.grace:
        policy.grace = late.parse_duration(args.grace, "--grace")
    if args.cutoff:
        try:
            policy.cutoff = late.parse_duration(args.cutoff, "--cutoff")
        except ExportError:
            policy.cutoff = late.parse_when(args.cutoff, tz, "--cutoff (a duration such as 7d, or a date)")
    if args.extensions:
        policy.extensions = late.read_extensions(args.extensions, tz)
    return policy


class Report:
    """What needs the instructor's eye, section by section; printed and saved."""

    def __init__(self):
        self.lines, self.sections = [], {}

    def add(self, title, item):
        self.sections.setdefault(title, []).append(item)

    def text(self):
        parts = list(self.lines)
        for title, items in self.sections.items():
            parts.append(f"{title} ({len(items)}):")
            parts += [f"  {item}" for item in items]
        return "\n".join(parts) + "\n"


def scaled(points, result, target):
    return points if not target else points / result.max_score * target


def _post(matched, lateness, target, report, lms):
    """{row position: points text} for the students matched one to one and posted."""
    cells = {}
    for position, found in matched.items():
        if len(found) > 1:
            report.add(f"{lms}: several results for one student (none posted; keep one and export again)",
                       ", ".join(r.student_id for r in found))
            continue
        r = found[0]
        if r.posted:
            cells[position] = tables.points(scaled(lateness[r.student_id].points, r, target))
    return cells


def export_canvas(args, stem, found, keys, names, report):
    book = canvas.read_gradebook(args.canvas)
    column = canvas.choose_assignment(book, args.assignment, args.lab, stem)
    target = canvas.points_possible(book, column)
    matched, unmatched = canvas.match(book, found)
    for position, rs in matched.items():
        for r in rs:
            keys[r.student_id] += book.keys(book.students[position][1])
            names[r.student_id] = book.name(book.students[position][1])
    for r in unmatched:
        report.add("Canvas: results for students not in the gradebook (not posted)", f"{r.student_id} ({r.file})")
    for position, (_, row) in enumerate(book.students):
        if position not in matched and book.name(row) != "Student, Test":
            report.add("Canvas: students in the gradebook without a result (left blank)",
                       f"{book.name(row)} (ID {book.key(row, 'ID')})")
    return lambda lateness: _finish_canvas(args, book, column, target, matched, lateness, report)


def _finish_canvas(args, book, column, target, matched, lateness, report):
    cells = _post(matched, lateness, target, report, "Canvas")
    canvas.write_import(book, column, cells, args.dir / "canvas_import.csv")
    scale = f", scaled to Canvas's {tables.points(target)} points possible" if target else ""
    report.lines.append(f"canvas_import.csv: {len(cells)} grades for {book.header[column]}{scale}")


def export_moodle(args, found, keys, names, report):
    roster = moodle.read_roster(args.moodle)
    matched, unmatched, _ = moodle.match(roster, found)
    for position, rs in matched.items():
        row = roster.rows[position][1]
        for r in rs:
            keys[r.student_id] += roster.keys(row)
            names[r.student_id] = roster.name(row)
    for r in unmatched:
        report.add("Moodle: results for students not in the participants file (not posted)", f"{r.student_id} ({r.file})")
    for position, (_, row) in enumerate(roster.rows):
        if position not in matched:
            report.add("Moodle: participants without a result (left out)", roster.name(row) or ", ".join(roster.keys(row)))

    def finish(lateness):
        target = args.moodle_max or moodle.maximum(roster)
        cells = _post(matched, lateness, target, report, "Moodle")
        item = args.moodle_item or args.lab
        if roster.email is not None or roster.idnumber is not None:
            count = moodle.write_import(roster, item, cells, args.dir / "moodle_import.csv")
            report.lines.append(f"moodle_import.csv: {count} grades in column {item!r}"
                                + (f", scaled to {tables.points(target)}" if target else ""))
        if roster.worksheet:
            moodle.write_worksheet(roster, cells, args.dir / "moodle_worksheet.csv")
            report.lines.append(f"moodle_worksheet.csv: {len(cells)} grades filled in")
    return finish


def run(args):
    stem = Path(course.notebook_name(args.lab)).stem.replace("_", "-")
    args.dir = Path(args.dir)
    found = results.load(args.dir, args.lab)
    tz = late.timezone(args.timezone)
    policy = build_policy(args, tz)
    report = Report()
    keys = {r.student_id: [r.student_id] for r in found}
    finishers, names = [], {}  # names: student id -> the name the LMS file gives
    if args.canvas:
        finishers.append(export_canvas(args, stem, found, keys, names, report))
    if args.moodle:
        finishers.append(export_moodle(args, found, keys, names, report))
    lateness = {r.student_id: late.assess(r, policy, keys[r.student_id]) for r in found}
    for finish in finishers:
        finish(lateness)
    generic.write(args.dir / "lms_grades.csv", found, lateness, names)
    report.lines.insert(0, f"lms_grades.csv: {len(found)} students of {args.lab}"
                        + (f", due {policy.due.isoformat()}" if policy else ""))
    for r in found:
        lt = lateness[r.student_id]
        if not r.posted:
            report.add("not posted: grading errors (grade these again)", f"{r.student_id}: {r.status}")
        elif r.kind != "graded":
            report.add("posted, but not a normal run: check", f"{r.student_id}: {r.status}")
        if lt.penalty:
            report.add("late penalties", f"{r.student_id}: -{tables.points(lt.penalty)} points"
                       + (f" (late by {late.describe(lt.late_by)})" if lt.late_by else ""))
        if lt.due is not None and r.submitted_at is None:
            report.add("submission time unknown (check these by hand)", f"{r.student_id}: {'; '.join(lt.notes)}")
    for ext in policy.extensions if policy else []:
        if not ext.used:
            report.add("extensions for no known student", f"{ext.key} ({args.extensions}, line {ext.line})")
    write_feedback(args.dir, stem, found, lateness, policy, names, report)
    text = report.text()
    (args.dir / "export_report.txt").write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


def write_feedback(out, stem, found, lateness, policy, names, report):
    """DIR/lms_feedback/ copies with the late section, and the Canvas and Moodle zips of them."""
    canvas_members, moodle_members = [], []
    for r in found:
        source = out / "feedback" / f"{r.student_id}.html"
        if not source.exists():
            report.add("no feedback page from grading (nothing to hand back)", r.student_id)
            continue
        copy = out / "lms_feedback" / f"{r.student_id}.html"
        feedback.write_copy(source, copy, feedback.section(r, lateness[r.student_id], policy))
        name, why = None, "not an LMS download"
        if not r.posted:
            why = "a grading error: grade it again first"
        elif r.lms_system == "canvas":
            name, why = canvas.feedback_name(r, stem)
            canvas_members += [(name, copy)] if name else []
        elif r.lms_system == "moodle":
            name, why = moodle.feedback_folder(r, names.get(r.student_id))
            moodle_members += [(f"{name}/{stem}-feedback.html", copy)] if name else []
        if not name:
            report.add(f"feedback in no LMS zip (hand back {copy.parent}/<id>.html yourself)", f"{r.student_id}: {why}")
    for name, members in (("canvas_feedback.zip", canvas_members), ("moodle_feedback.zip", moodle_members)):
        if feedback.bundle(out / name, members):
            report.lines.append(f"{name}: feedback for {len(members)} students")
