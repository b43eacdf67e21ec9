"""One lab, read once: its master (solutions and hidden tests) and its release (what students get).

`Lab.load(name)` serves grading (which cells run where, points, hidden parts, the messages feedback
may show), repair (the release's cells and the names answers define), samples, release and the tests.
Nothing here runs student code: names are read with `ast`.
"""
import ast
import functools
import hashlib
import re
from dataclasses import dataclass, field

from nbgrader.utils import is_grade, is_locked, is_solution

from . import course

MAGIC = re.compile(r"^\s*[%!].*$", re.M)
TOP_DEF = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
TOP_ASSIGN = re.compile(r"^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=\n]*)?=(?!=)", re.M)
HIDDEN_BEGIN = re.compile(r"\s*### BEGIN HIDDEN TESTS")
SECRET_BEGIN = re.compile(r"\s*### BEGIN (SOLUTION|HIDDEN TESTS)")
SECRET_END = re.compile(r"\s*### END (SOLUTION|HIDDEN TESTS)")


def defined_names(source):
    """Names a code cell defines at top level (functions, classes, assigned variables). Not executed."""
    code = MAGIC.sub("", source)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        names = set(TOP_DEF.findall(code))
        for targets in TOP_ASSIGN.findall(code):
            names.update(name.strip() for name in targets.split(","))
        return names
    names = set()

    def targets(node):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def visit(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    targets(target)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets(node.target)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for part in ("body", "orelse", "finalbody"):
                    visit(getattr(node, part, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return names


def read_names(source):
    """Global names a cell reads without defining them first (what it needs from elsewhere)."""
    tree = ast.parse(MAGIC.sub("", source))
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return read - bound


def constant_messages(source):
    """{line: message} for every assertion in SOURCE whose message is a constant string.

    `assert cond, "..."` and numpy.testing's `err_msg="..."`: the only hidden-test text feedback
    may show (the property a hidden assertion checks, never its inputs or expected values).
    """
    messages = {}
    for node in ast.walk(ast.parse(MAGIC.sub("", source))):
        message = None
        if isinstance(node, ast.Assert) and isinstance(node.msg, ast.Constant) and isinstance(node.msg.value, str):
            message = node.msg.value
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "err_msg" and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, str):
                    message = keyword.value.value
        if message:
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                messages.setdefault(line, message)
    return messages


@dataclass
class Test:
    """A graded test cell of the master."""
    grade_id: str
    points: float
    source: str                 # visible and hidden parts
    hidden_from: int            # first line (1-based) of the hidden part; past the end when none
    description: str            # the docstring's first line
    messages: dict = field(default_factory=dict)   # constant assertion messages by line

    @property
    def visible_lines(self):
        return self.source.splitlines()[:self.hidden_from - 1]


@dataclass
class Lab:
    name: str
    notebook: str               # file name, e.g. xor_mlp.ipynb
    master: object              # the master NotebookNode
    release: object             # the release NotebookNode (labs/)
    tests: dict                 # grade_id -> Test, in notebook order
    answers: dict               # answer grade_id -> names it defines (master's solution and release stub)
    locked: dict                # locked code cell grade_id -> master source (setup, data, helpers)
    version: str                # changes with the master or the course config

    @classmethod
    def load(cls, name):
        """The lab NAME as its files are now (read again only when the master or release changes)."""
        notebook = course.notebook_name(name)
        master_path, release_path = course.SOLUTIONS / name / notebook, course.LABS / name / notebook
        if not release_path.exists():
            raise course.CourseError(f"labs/{name} has no release: run `python -m autograder release {name}`")
        return _load(cls, name, str(master_path), master_path.stat().st_mtime_ns, str(release_path),
                     release_path.stat().st_mtime_ns)

    @classmethod
    def from_master(cls, master_path, release_path=None):
        """A Lab read from MASTER_PATH (and its release, when there is one): also for a template."""
        from pathlib import Path

        master = course.read_notebook(master_path)
        release = course.read_notebook(release_path) if release_path else None
        tests, answers, locked = {}, {}, {}
        stubs = {cell.metadata.nbgrader["grade_id"]: cell.source for cell in (release.cells if release else [])
                 if is_solution(cell)}
        for cell in master.cells:
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id")
            if is_grade(cell) and not is_solution(cell) and cell.cell_type == "code":
                lines = cell.source.splitlines()
                begin = next((i + 1 for i, line in enumerate(lines) if HIDDEN_BEGIN.match(line)), len(lines) + 1)
                description = cell.source.strip().split("\n")[0].strip("\"' ")
                tests[gid] = Test(gid, float(meta["points"]), cell.source, begin, description,
                                  constant_messages(cell.source))
            elif is_solution(cell):
                names = defined_names(cell.source) if cell.cell_type == "code" else set()
                if cell.cell_type == "code":
                    names |= defined_names(stubs.get(gid, ""))
                answers[gid] = names
            elif is_locked(cell) and cell.cell_type == "code" and gid:
                locked[gid] = cell.source
        with open(master_path, "rb") as f:
            digest = hashlib.sha256(f.read() + course.CONFIG.read_bytes()).hexdigest()
        return cls(Path(master_path).parent.name, Path(master_path).name, master, release, tests, answers, locked,
                   digest[:16])

    @property
    def max_score(self):
        return sum(test.points for test in self.tests.values())

    @property
    def answer_names(self):
        """Every name an answer cell defines: the checker's proxies for the student's code."""
        return set().union(*self.answers.values()) if self.answers else set()

    def secret_lines(self):
        """Stripped lines inside the master's solution and hidden-test regions that appear nowhere outside them."""
        hidden, shown = set(), set()
        for cell in self.master.cells:
            inside = False
            for line in cell.source.splitlines():
                if SECRET_BEGIN.match(line):
                    inside = True
                elif SECRET_END.match(line):
                    inside = False
                else:
                    (hidden if inside else shown).add(line.strip())
        return hidden - shown


@functools.lru_cache(maxsize=32)
def _load(cls, name, master_path, master_mtime, release_path, release_mtime):
    return cls.from_master(master_path, release_path)
