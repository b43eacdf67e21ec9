"""Canvas: the gradebook CSV to import, and the feedback zip for "Re-Upload Submissions".

Formats, as Canvas's own code reads and writes them (instructure/canvas-lms lib/gradebook_exporter.rb,
lib/gradebook_importer.rb, app/models/assignment.rb):
- Gradebook export (Grades > Export): a header Student, ID, [SIS User ID], SIS Login ID,
  [Integration ID], [Root Account], Section, custom columns, one column per assignment titled
  "Title (assignment id)", then read-only totals; an optional "Manual Posting" row; a
  "    Points Possible" row; one row per student (ID = the Canvas user id). ',' or ';' separated.
- Gradebook import: the same header (the importer requires Student and ID first and Section as the
  last key column), rows matched by ID, then SIS User ID, SIS Login ID and name; an assignment
  column is matched by the id in its title; a blank cell changes nothing; a Points Possible value
  sets the assignment's points possible (so we copy Canvas's own).
- Submission download names: <name>[_LATE]_<user id>_<attachment id>_<file name>.
- Re-Upload Submissions (a zip of files named as downloaded): Canvas splits each file name at '_'
  and takes its first two all-digit parts as the user id and the attachment id of that user's
  submission; a matched file becomes a comment on the submission.
"""
import re
from dataclasses import dataclass, field

from . import tables
from .results import ExportError

WHAT = "Canvas gradebook export"
KEYS = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
        "Root Account", "Section")
TOTALS = re.compile(r"(Current|Final|Override) (Score|Points|Grade|Status)|Unposted", re.I)
ASSIGNMENT = re.compile(r"^(?P<title>.*\S)\s*\((?P<id>\d+)\)$")
POSTING_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)


@dataclass
class Gradebook:
    path: object
    header: list
    section: int                       # index of the Section column: the last key column
    ids: dict                          # column name -> index, for ID, SIS User ID, SIS Login ID
    students: list                     # [(line number, row)]
    points_row: list = None
    assignments: list = field(default_factory=list)  # indices of assignment columns

    def key(self, row, name):
        index = self.ids.get(name)
        return row[index] if index is not None else ""

    def keys(self, row):
        """Every id a student's row gives (for matching results and extensions)."""
        return [self.key(row, n) for n in ("ID", "SIS User ID", "SIS Login ID") if self.key(row, n)]

    def name(self, row):
        if self.header[0] == "LastName":
            return f"{row[1]} {row[0]}".strip()
        return row[0]


def read_gradebook(path):
    header, rows = tables.read(path, WHAT)
    first_last = header[:2] == ["LastName", "FirstName"]
    id_at = 2 if first_last else 1
    if len(header) <= id_at or not (first_last or "Student" in header[0]) or header[id_at] != "ID":
        raise ExportError(f"{path}: not a {WHAT}: its first columns must be Student, ID, ... "
                          f"(found {', '.join(header[:id_at + 1]) or 'nothing'}); export it from "
                          f"Canvas's Grades page (Export > Export Entire Gradebook)")
    if "Section" not in header:
        raise ExportError(f"{path}: {WHAT} has no Section column (its columns: {', '.join(header)})")
    section = header.index("Section")
    ids = {name: header.index(name) for name in ("ID", "SIS User ID", "SIS Login ID") if name in header[:section]}
    book = Gradebook(path, header, section, ids, [])
    seen = {}
    for line, row in enumerate(rows, start=2):
        if "Points Possible" in row[0]:
            book.points_row = row
            continue
        if all(POSTING_ROW.match(cell) for cell in row):
            continue  # the "Manual Posting" row (or an empty one)
        canvas_id = book.key(row, "ID")
        if canvas_id and canvas_id in seen:
            raise ExportError(f"{path}: student ID {canvas_id} is on lines {seen[canvas_id]} and {line}: "
                              f"export the gradebook from Canvas again")
        seen[canvas_id] = line
        book.students.append((line, row))
    book.assignments = [i for i, h in enumerate(header) if i > section and ASSIGNMENT.match(h)
                        and not TOTALS.search(h)]
    return book


def normalise(text):
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def choose_assignment(book, wanted, lab, notebook_stem):
    """Index of the lab's assignment column: the one WANTED names (its full title, its title or its
    Canvas id), or else the one whose title names the lab."""
    titles = {i: ASSIGNMENT.match(book.header[i]) for i in book.assignments}
    listing = "; ".join(book.header[i] for i in book.assignments) or "none"
    if wanted:
        w = wanted.strip()
        found = [i for i, m in titles.items() if w in (book.header[i], m["id"]) or w.casefold() == m["title"].casefold()]
        found = found or [i for i, m in titles.items() if w.casefold() in m["title"].casefold()]
        if len(found) != 1:
            raise ExportError(f"{book.path}: {'no' if not found else 'more than one'} assignment column "
                              f"matches --assignment {wanted!r}; the assignment columns: {listing}")
        return found[0]
    number = re.match(r"\d+", lab)
    patterns = [normalise(notebook_stem), normalise(lab)]
    found = [i for i, m in titles.items() if any(p and p in normalise(m["title"]) for p in patterns)]
    if not found and number:
        lab_no = re.compile(rf"\blab\s*0*{int(number[0])}\b", re.I)
        found = [i for i, m in titles.items() if lab_no.search(m["title"])]
    if len(found) != 1:
        raise ExportError(f"{book.path}: {'no' if not found else 'more than one'} assignment column names "
                          f"{lab}; say which with --assignment 'TITLE' or --assignment ASSIGNMENT_ID "
                          f"(the assignment columns: {listing})")
    return found[0]


def points_possible(book, column):
    """Canvas's points possible for COLUMN (None when the export has no Points Possible row)."""
    if not book.points_row:
        return None
    text = book.points_row[column].replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise ExportError(f"{book.path}: the Points Possible of {book.header[column]} is {text!r}, not a number")
    return value if value > 0 else None


def match(book, results):
    """({student row index: [Result]}, [Result with no row]): by Canvas user id, then SIS ids."""
    index = {}
    for position, (_, row) in enumerate(book.students):
        for name in ("ID", "SIS User ID", "SIS Login ID"):
            value = book.key(row, name)
            if value:
                index.setdefault((name, value.casefold()), position)
    matched, unmatched = {}, []
    for result in results:
        sid = result.student_id.casefold()
        position = next((index[(n, sid)] for n in ("ID", "SIS User ID", "SIS Login ID") if (n, sid) in index), None)
        if position is None:
            unmatched.append(result)
        else:
            matched.setdefault(position, []).append(result)
    return matched, unmatched


def write_import(book, column, cells, path):
    """PATH: the key columns and COLUMN, Canvas's Points Possible row, and CELLS[row position] (text;
    missing means blank, which Canvas's import leaves unchanged)."""
    keys = book.section + 1
    rows = []
    if book.points_row:
        rows.append(["    Points Possible"] + [""] * (keys - 1) + [book.points_row[column]])
    for position, (_, row) in enumerate(book.students):
        rows.append(row[:keys] + [cells.get(position, "")])
    tables.write(path, book.header[:keys] + [book.header[column]], rows)


def feedback_name(result, stem):
    """(zip member name Canvas's re-upload maps back to the student, None) or (None, why not)."""
    if result.lms_system != "canvas" or not result.lms_submission_id:
        return None, "not a Canvas download (no user and attachment id in its file name)"
    if not (result.student_id.isdigit() and result.lms_submission_id.isdigit()):
        return None, "its Canvas ids are not numbers"
    # The name part must hold no all-digit piece: letters only, as Canvas writes it.
    name = re.sub(r"[^a-z]", "", (result.lms_name or "").casefold()) or "student"
    return f"{name}_{result.student_id}_{result.lms_submission_id}_{stem}-feedback.html", None
