"""Moodle: the gradebook import CSV, the filled grading worksheet, and the feedback-files zip.

Formats, as Moodle's own code reads and writes them (moodle/moodle grade/import/csv/classes/
load_data.php, mod/assign/gradingtable.php, mod/assign/feedback/offline/importgradeslib.php,
mod/assign/feedback/file/importziplib.php):
- PARTICIPANTS.csv is either the assignment's grading worksheet (View all submissions > Download
  grading worksheet: Identifier "Participant <id>", Full name, the identity fields such as Email
  address and ID number, Status, Grade, Maximum Grade, ..., Last modified (grade)), whose
  participant ids are the ids in Moodle's download names, or any Moodle user list with an Email
  address or ID number column (the gradebook's plain-text export, the participants page's download).
- Gradebook import (Grades > Import > CSV file): any columns; the teacher maps one to the user
  (Map from 'Email address' to useremail, or 'ID number' to useridnumber) and the grade column to
  the grade item. A row whose user is not in the course aborts the whole import, so only matched
  rows are written; a blank grade would clear one, so only rows with a grade are written.
- Grading worksheet upload (Upload grading worksheet): rows matched by Identifier; Grade is read
  where "Last modified (grade)" is not older than Moodle's own record.
- Feedback files zip (Upload multiple feedback files in a zip): any path part named
  <full name>_<participant id>_<plugin type>_<plugin name>[_...] maps the files below it to that
  participant; the layout of Moodle's own submission download (<Full Name>_<id>_assignsubmission_file_/)
  is used. The full name is not checked, but must hold no '_'.
"""
import re
from dataclasses import dataclass, field

from . import tables
from .results import ExportError

WHAT = "Moodle participants file (the grading worksheet or a user list)"


@dataclass
class Roster:
    path: object
    header: list
    rows: list                         # [(line, row)]
    identifier: int = None             # the worksheet's Identifier column
    email: int = None
    idnumber: int = None
    fullname: int = None
    first: int = None
    last: int = None
    grade: int = None
    maximum: int = None
    participants: dict = field(default_factory=dict)  # participant id -> row position

    @property
    def worksheet(self):
        return self.identifier is not None and self.grade is not None

    def cell(self, row, index):
        return row[index] if index is not None else ""

    def name(self, row):
        if self.fullname is not None:
            return row[self.fullname]
        return " ".join(p for p in (self.cell(row, self.first), self.cell(row, self.last)) if p)

    def keys(self, row):
        return [k for k in (self.cell(row, self.email), self.cell(row, self.idnumber)) if k]


def read_roster(path):
    header, rows = tables.read(path, WHAT)
    find = lambda *names: tables.column(header, path, WHAT, *names, required=False)  # noqa: E731
    roster = Roster(path, header, list(enumerate(rows, start=2)),
                    identifier=find("Identifier"), email=find("Email address", "Email", "E-mail"),
                    idnumber=find("ID number", "ID Number", "idnumber"), fullname=find("Full name"),
                    first=find("First name"), last=find("Last name", "Surname"), grade=find("Grade"),
                    maximum=find("Maximum Grade", "Maximum grade"))
    if roster.identifier is None and roster.email is None and roster.idnumber is None:
        raise ExportError(f"{path}: not a {WHAT}: it needs an Identifier, Email address or ID number "
                          f"column (its columns: {', '.join(header)})")
    for position, (line, row) in enumerate(roster.rows):
        if roster.identifier is None:
            continue
        number = re.search(r"(\d+)\s*$", row[roster.identifier])
        if not number:
            raise ExportError(f"{path}, line {line}: Identifier {row[roster.identifier]!r} is not "
                              f"'Participant <number>'")
        if number[1] in roster.participants:
            raise ExportError(f"{path}, line {line}: participant {number[1]} is listed twice: download the "
                              f"grading worksheet from Moodle again")
        roster.participants[number[1]] = position
    return roster


def maximum(roster):
    """The assignment's maximum grade the worksheet states (None when it states none)."""
    if roster.maximum is None:
        return None
    values = {row[roster.maximum].replace(",", ".") for _, row in roster.rows if row[roster.maximum]}
    try:
        numbers = {float(v) for v in values}
    except ValueError:
        raise ExportError(f"{roster.path}: Maximum Grade holds {sorted(values)}, not numbers")
    if len(numbers) > 1:
        raise ExportError(f"{roster.path}: Maximum Grade differs between rows: {sorted(values)}")
    return numbers.pop() if numbers and numbers != {0.0} else None


def _fold(text):
    return " ".join(text.split()).casefold()


def match(roster, results):
    """({row position: [Result]}, [unmatched Result], {student id: how}). A Moodle download's
    participant id is matched to the worksheet's Identifier (or, with a plain user list, its full name
    to a unique Full name); any other student id to an Email address or ID number."""
    by_key, by_name = {}, {}
    for position, (_, row) in enumerate(roster.rows):
        for key in roster.keys(row):
            by_key.setdefault(key.casefold(), position)
        by_name.setdefault(_fold(roster.name(row)), []).append(position)
    matched, unmatched, how = {}, [], {}
    for result in results:
        position, rule = None, ""
        if result.lms_system == "moodle" and roster.participants:
            position, rule = roster.participants.get(result.student_id), "participant id"
        elif result.lms_system == "moodle":
            names = by_name.get(_fold(result.lms_name or ""), [])
            position, rule = (names[0] if len(names) == 1 else None), "full name"
        else:
            position, rule = by_key.get(result.student_id.casefold()), "email or ID number"
        if position is None:
            unmatched.append(result)
        else:
            matched.setdefault(position, []).append(result)
            how[result.student_id] = rule
    return matched, unmatched, how


def write_import(roster, item, cells, path):
    """PATH: Moodle's gradebook import: the identity columns and ITEM, one row per CELLS[position]."""
    columns = [(n, i) for n, i in (("Full name", None), ("Email address", roster.email),
                                   ("ID number", roster.idnumber)) if n == "Full name" or i is not None]
    rows = []
    for position, text in sorted(cells.items()):
        row = roster.rows[position][1]
        if not roster.keys(row):
            continue  # nothing to map the user by
        rows.append([roster.name(row) if name == "Full name" else row[index] for name, index in columns] + [text])
    tables.write(path, [name for name, _ in columns] + [item], rows)
    return len(rows)


def write_worksheet(roster, cells, path):
    """PATH: the grading worksheet as downloaded, with Grade filled in from CELLS[position]."""
    rows = []
    for position, (_, row) in enumerate(roster.rows):
        row = list(row)
        if position in cells:
            row[roster.grade] = cells[position]
        rows.append(row)
    tables.write(path, roster.header, rows)


def feedback_folder(result, name=None):
    """(the zip folder Moodle's feedback upload maps to the student, None) or (None, why not)."""
    if result.lms_system != "moodle" or not result.student_id.isdigit():
        return None, "not a Moodle download (no participant id in its file or folder name)"
    name = re.sub(r"[_/\\]+", " ", name or result.lms_name or "").strip() or "Participant"
    return f"{name}_{result.student_id}_assignsubmission_file_", None
