"""Read a submitted notebook, and repair one that Colab (or a student) mangled, against the lab's release.

Colab ignores nbgrader's `deletable: false` / `editable: false`, so a submission can arrive with
locked or test cells deleted, edited or reordered, with nbgrader's cell metadata stripped, and with
Colab's own metadata added. nbgrader matches cells by `nbgrader.grade_id`: a test cell that lost its
metadata silently loses its points (or its hidden tests). `repair` therefore rebuilds every
submission on the lab's release (labs/LAB/NOTEBOOK) as the skeleton:

* every locked, read-only and test cell, and every unlocked non-answer cell (markdown, demo code),
  is the release's cell, metadata included: nothing a student edited there counts, hidden tests are
  restored at autograde by nbgrader as usual, and the checksums are the release's;
* every answer cell (nbgrader solution cell) holds the student's source, found in this order:
  1. by `grade_id`, when the cell's nbgrader metadata survived;
  2. by identical source (an untouched stub, or any cell copied verbatim);
  3. by the names the cell defines: the top-level `def`/`class` names and assigned variables of the
     master's solution and the release's stub (`perceptron_predict`; `OR_PARAMS, AND_PARAMS`),
     compared with what each student cell defines (read with `ast`, never executed). Answers are
     taken in the release's order; the cell sharing the most names wins, ties go to the cell closest
     to the release's stub (it kept the docstring), then to the later cell (the definition that ran
     last); a cell defining several answers goes to the first of them;
  4. by position: the first unclaimed cell of the same type between the cells matched to the
     answer's neighbours in the release (for answers that define no name, e.g. a written answer);
  an answer found nowhere gets the release's stub (it scores zero), or, when the names it defines
  live in a cell kept for another answer or as an extra, an empty cell (so a stub does not
  overwrite the student's definitions);
* student-added cells (scratch work, helper functions) are KEPT, as plain unlocked cells without
  nbgrader metadata, right after the release cell that the nearest preceding recognised student
  cell was matched to (so they run where the student ran them, as nbgrader would run them in an
  unmangled notebook). Empty cells, and copies of release cells (identical, or recognisably edited:
  difflib similarity of their tokens >= 0.6 to a release non-answer cell none else claimed), are dropped: the
  release's cell is used.

Outputs are cleared (autograde re-executes), notebook metadata, nbformat version and cell ids are
the release's, so Colab's metadata (`colab`, `accelerator`, cell `id`/`outputId`/`executionInfo`,
nbformat_minor changes) disappears. The notes say what was repaired; an untouched notebook that
conforms to the release (a local Jupyter save included) gets none.

A notebook in which none of LAB's answer cells is recognised (by grade_id or defined names) and
fewer than half of its test cells either is not LAB's: `repair` raises InvalidSubmission naming the
lab it looks like. Student code is never executed here.
"""
import copy
import difflib
import json
import re
import uuid

import nbformat
from nbgrader.utils import is_grade, is_locked, is_solution

from .. import course
from ..lab import Lab, defined_names

FUZZY = 0.6  # difflib ratio (of tokens) above which a student cell is an edited copy of a release non-answer cell
COLAB_NOTEBOOK_KEYS = {"colab", "accelerator", "gpuClass"}
COLAB_CELL_KEYS = {"colab", "id", "outputId", "executionInfo", "cellView", "pycharm"}


class InvalidSubmission(Exception):
    """The file cannot be graded as this lab; str(e) is a short reason for the gradebook status."""


# --------------------------------------------------------------------------------------------- reading

def read_submission(path, lab):
    """The notebook at PATH as an nbformat v4 NotebookNode, or InvalidSubmission saying why not.

    Lenient on what `repair` rebuilds anyway (outputs, metadata, nbformat_minor, cell ids): only the
    cells' types and sources must be readable. Messages read well after "invalid notebook: ".
    LAB is the lab being graded (unused for now: whether the notebook is LAB's is repair's job).
    """
    try:
        raw = open(path, "rb").read()
    except OSError as error:
        raise InvalidSubmission(f"unreadable file ({error.strerror or error})") from None
    if not raw.strip():
        raise InvalidSubmission("empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidSubmission("binary or non-UTF-8 file, not a notebook") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" at line {error.lineno} column {error.colno}" if hasattr(error, "lineno") else ""
        raise InvalidSubmission(f"invalid JSON{where}") from None
    if not isinstance(data, dict):
        raise InvalidSubmission(f"a JSON {_json_kind(data)}, not a notebook")
    version = data.get("nbformat")
    if "cells" not in data and "worksheets" not in data and version is None:
        raise InvalidSubmission("JSON without nbformat or cells, not a notebook")
    if version != 4:
        raise InvalidSubmission(f"nbformat {version!r} notebook, expected nbformat 4 "
                                f"(re-save it with Jupyter or Colab)")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise InvalidSubmission("broken notebook: no list of cells")
    clean = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise InvalidSubmission(f"broken notebook: cell {number} has no valid cell_type")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise InvalidSubmission(f"broken notebook: cell {number} has no text source")
        metadata = cell.get("metadata")
        clean.append(dict(cell, source=source, metadata=metadata if isinstance(metadata, dict) else {}))
    metadata = data.get("metadata")
    data = dict(data, cells=clean, metadata=metadata if isinstance(metadata, dict) else {})
    data.setdefault("nbformat_minor", 0)
    return nbformat.from_dict(data)


def _json_kind(value):
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


# ----------------------------------------------------------------------------------- the lab's reference

TOKEN = re.compile(r"\w+|[^\w\s]")


def _tokens(source):
    """Words and punctuation of SOURCE: what similarity is measured on (cheap, unlike characters)."""
    return TOKEN.findall(source)


def _normal(source):
    return "\n".join(line.rstrip() for line in source.replace("\r\n", "\n").strip().splitlines())


class _Reference:
    """What repair needs to know about one lab: its release cells, answer names, test cells."""

    def __init__(self, lab):
        self.lab = lab.name
        self.release = lab.release
        self.cells = self.release.cells
        self.gid = {cell.metadata.nbgrader["grade_id"]: i for i, cell in enumerate(self.cells)
                    if "nbgrader" in cell.metadata and "grade_id" in cell.metadata.nbgrader}
        self.answers = [i for i, cell in enumerate(self.cells) if is_solution(cell)]
        self.tests = [i for i, cell in enumerate(self.cells) if is_grade(cell) and not is_solution(cell)]
        self.locked = [i for i, cell in enumerate(self.cells) if is_locked(cell) and not is_grade(cell)]
        self.names = {i: set(lab.answers.get(self.cells[i].metadata.nbgrader["grade_id"], ()))
                      for i in self.answers}
        self.stub_names = {i: defined_names(self.cells[i].source) if self.cells[i].cell_type == "code" else set()
                           for i in self.answers}
        self.all_answer_names = set().union(*self.names.values()) if self.names else set()


def _reference(lab):
    loaded = Lab.load(lab)
    cached = getattr(loaded, "_repair_reference", None)
    if cached is None:
        cached = loaded._repair_reference = _Reference(loaded)
    return cached


# ------------------------------------------------------------------------------------------- matching

class _Match:
    """Which student cell plays which release cell, and how it was found."""

    def __init__(self, ref, cells):
        self.ref, self.cells = ref, cells
        self.to_release = {}   # student index -> release index
        self.to_student = {}   # release index -> student index
        self.how = {}          # release index -> "gid" | "exact" | "names" | "position" | "fuzzy"
        self.dropped = set()   # student indexes dropped (copies of release cells, empty cells)
        self.duplicate_locked = 0

    def pair(self, s, r, how):
        self.to_release[s], self.to_student[r], self.how[r] = r, s, how

    def free(self, s):
        return s not in self.to_release and s not in self.dropped

    def recognised(self):
        """(answers recognised by grade_id or names, test cells recognised by grade_id or source)."""
        ref = self.ref
        answers = sum(1 for r in ref.answers if self.how.get(r) in ("gid", "names")
                      or (self.how.get(r) == "exact" and ref.stub_names[r]))  # not a generic stub
        tests = sum(1 for r in ref.tests if self.how.get(r) in ("gid", "exact"))
        return answers, tests


def _gid(cell):
    nbgrader_meta = cell.metadata.get("nbgrader")
    return nbgrader_meta.get("grade_id") if isinstance(nbgrader_meta, dict) else None


def _match(ref, cells, full=True):
    m = _Match(ref, cells)
    release = ref.cells
    # 1. grade_id (first occurrence; a duplicated locked cell is dropped, a duplicated answer kept).
    for s, cell in enumerate(cells):
        r = ref.gid.get(_gid(cell))
        if r is None:
            continue
        if r not in m.to_student:
            m.pair(s, r, "gid")
        elif not is_solution(release[r]):
            m.dropped.add(s)
            m.duplicate_locked += 1
    # 2. identical source, same cell type, in order.
    by_source = {}
    for r, cell in enumerate(release):
        if r not in m.to_student and cell.source.strip():
            by_source.setdefault((cell.cell_type, _normal(cell.source)), []).append(r)
    for s, cell in enumerate(cells):
        if not m.free(s):
            continue
        if not cell.source.strip():
            m.dropped.add(s)
            continue
        free = [r for r in by_source.get((cell.cell_type, _normal(cell.source)), []) if r not in m.to_student]
        if free:
            m.pair(s, free[0], "exact")
    # 3. answers by the names they define, in the release's order (a cell that defines several
    #    answers goes to the first, so its definitions run before every test that needs them).
    names = {s: defined_names(cell.source) for s, cell in enumerate(cells) if cell.cell_type == "code"}
    for r in ref.answers:
        if r in m.to_student or not ref.names[r]:
            continue
        stub = _tokens(release[r].source)
        candidates = [(len(defined & ref.names[r]),
                       difflib.SequenceMatcher(None, stub, _tokens(cells[s].source), autojunk=False).ratio(), s)
                      for s, defined in names.items() if m.free(s) and defined & ref.names[r]]
        if candidates:
            m.pair(max(candidates)[2], r, "names")
    if not full:
        return m
    # 4. edited copies of release non-answer cells (not cells that define an answer's names).
    candidates = []
    for r, cell in enumerate(release):
        if r in m.to_student or is_solution(cell):
            continue
        wanted = _tokens(cell.source)
        for s, student in enumerate(cells):
            if (not m.free(s) or student.cell_type != cell.cell_type or len(student.source) > 20000
                    or names.get(s, set()) & ref.all_answer_names):
                continue
            matcher = difflib.SequenceMatcher(None, wanted, _tokens(student.source), autojunk=False)
            if matcher.real_quick_ratio() >= FUZZY and matcher.quick_ratio() >= FUZZY:
                ratio = matcher.ratio()
                if ratio >= FUZZY:
                    candidates.append((ratio, -s, r))
    for ratio, minus_s, r in sorted(candidates, reverse=True):
        if m.free(-minus_s) and r not in m.to_student:
            m.pair(-minus_s, r, "fuzzy")
    # 5. answers by position between their matched neighbours.
    for r in ref.answers:
        if r in m.to_student:
            continue
        before = [m.to_student[i] for i in range(r - 1, -1, -1) if i in m.to_student][:1]
        after = [m.to_student[i] for i in range(r + 1, len(release)) if i in m.to_student][:1]
        low = before[0] if before else -1
        high = after[0] if after else len(cells)
        for s in range(low + 1, high):
            other = names.get(s, set()) & (ref.all_answer_names - ref.names[r])
            if m.free(s) and cells[s].cell_type == release[r].cell_type and not other:
                m.pair(s, r, "position")
                break
    return m


def _looks_like(nb, lab):
    """The other lab whose answer and test cells NB matches best, or None."""
    best, best_score = None, 0
    for other in course.lab_names():
        if other == lab:
            continue
        try:  # best effort: a lab being written may not load
            score = sum(_match(_reference(other), nb.cells, full=False).recognised())
        except Exception:  # noqa: BLE001
            continue
        if score > best_score:
            best, best_score = other, score
    return best


# -------------------------------------------------------------------------------------------- repair

def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fresh(cell):
    """A student cell kept as a plain unlocked cell: source (and markdown attachments) only."""
    data = {"cell_type": cell.cell_type, "metadata": {}, "source": cell.source}
    if cell.cell_type == "code":
        data.update(outputs=[], execution_count=None)
    elif "attachments" in cell:
        data["attachments"] = copy.deepcopy(cell["attachments"])
    return nbformat.from_dict(data)


def repair(nb, lab):
    """(NB rebuilt on LAB's release, notes saying what was repaired); see the module docstring.

    Raises InvalidSubmission when NB is not LAB's notebook, course.CourseError when LAB is unknown
    or has no release (grading cannot run at all).
    """
    ref = _reference(lab)
    cells = nb.get("cells", [])
    answers, tests = _match(ref, cells, full=False).recognised()
    if not answers and 2 * tests < max(len(ref.tests), 1):
        other = _looks_like(nb, lab)
        if other:
            raise InvalidSubmission(f"notebook for another lab: looks like {other}, not {lab}")
        raise InvalidSubmission(f"notebook for another lab: none of {lab}'s answer or test cells found")

    m = _match(ref, cells)
    release = ref.cells
    notes = []
    # Extra cells: the student cells nothing claimed, anchored after the release cell matched to the
    # nearest preceding recognised student cell (-1: before everything).
    extras, anchor = {}, -1
    for s, cell in enumerate(cells):
        if s in m.to_release:
            anchor = m.to_release[s]
        elif s not in m.dropped:
            extras.setdefault(anchor, []).append(cell)
    kept_names = set()
    for s, cell in enumerate(cells):
        if s not in m.dropped and cell.cell_type == "code":
            kept_names |= defined_names(cell.source)

    out_cells = [_fresh(cell) for cell in extras.get(-1, [])]
    missing, merged = 0, 0
    for r, cell in enumerate(release):
        new = copy.deepcopy(cell)
        if new.cell_type == "code":
            new.outputs, new.execution_count = [], None
        if is_solution(cell):
            s = m.to_student.get(r)
            if s is not None:
                new.source = cells[s].source
                if new.cell_type == "markdown" and "attachments" in cells[s]:
                    new["attachments"] = copy.deepcopy(cells[s]["attachments"])
            elif ref.names[r] and ref.names[r] <= kept_names:
                new.source, merged = "", merged + 1
            else:
                missing += 1
        out_cells.append(new)
        out_cells.extend(_fresh(extra) for extra in extras.get(r, []))

    out = nbformat.v4.new_notebook()
    out.metadata = copy.deepcopy(ref.release.metadata)
    out.nbformat, out.nbformat_minor = ref.release.nbformat, ref.release.nbformat_minor
    out.cells = out_cells
    if out.nbformat_minor >= 5:  # ids only where the release's format has them
        seen = set()
        for cell in out.cells:
            if not cell.get("id") or cell["id"] in seen:
                cell["id"] = uuid.uuid4().hex[:8]
            seen.add(cell["id"])
    else:
        for cell in out.cells:
            cell.pop("id", None)

    # Notes, most important first.
    for group, word in ((ref.tests, "test cell"), (ref.locked, "read-only cell")):
        deleted = sum(1 for r in group if r not in m.to_student)
        edited = sum(1 for r in group if r in m.to_student and _edited(release[r], cells[m.to_student[r]]))
        if deleted:
            notes.append(f"restored {_plural(deleted, 'deleted ' + word)}")
        if edited:
            notes.append(f"restored {_plural(edited, 'edited ' + word)}")
    demos = [r for r, cell in enumerate(release)
             if cell.cell_type == "code" and "nbgrader" not in cell.metadata]
    reset = sum(1 for r in demos if r not in m.to_student or _edited(release[r], cells[m.to_student[r]]))
    if reset:
        notes.append(f"restored {_plural(reset, 'deleted or edited demo cell')}")
    by_content = sum(1 for r in ref.answers if m.how.get(r) in ("exact", "names", "position")
                     and "nbgrader" in release[r].metadata
                     and _gid(cells[m.to_student[r]]) != release[r].metadata.nbgrader["grade_id"])
    if by_content:
        notes.append(f"matched {_plural(by_content, 'answer cell')} by content")
    if missing:
        notes.append(f"{_plural(missing, 'answer cell')} missing (release stub, scores zero)")
    if merged:
        notes.append(f"{_plural(merged, 'answer')} found in other cells")
    stripped = sum(1 for r, s in m.to_student.items() if "nbgrader" in release[r].metadata
                   and cells[s].metadata.get("nbgrader") != release[r].metadata.nbgrader)
    if stripped:
        notes.append(f"restored nbgrader metadata of {_plural(stripped, 'cell')}")
    if m.duplicate_locked:
        notes.append(f"dropped {_plural(m.duplicate_locked, 'duplicated locked cell')}")
    order = [m.to_release[s] for s in sorted(m.to_release)]
    if any(a > b for a, b in zip(order, order[1:])):
        notes.append("put cells back in the release's order")
    kept = sum(len(group) for group in extras.values())
    if kept:
        notes.append(f"kept {_plural(kept, 'extra cell')} as unlocked cells")
    if _has_colab_metadata(nb):
        notes.append("dropped Colab metadata")
    return out, notes


def _edited(release_cell, student_cell):
    """Whether STUDENT_CELL's source differs from RELEASE_CELL's (trailing whitespace aside)."""
    return _normal(student_cell.source) != _normal(release_cell.source)


def _has_colab_metadata(nb):
    if COLAB_NOTEBOOK_KEYS & set(nb.get("metadata", {})):
        return True
    return any(COLAB_CELL_KEYS & set(cell.get("metadata", {})) for cell in nb.get("cells", []))
