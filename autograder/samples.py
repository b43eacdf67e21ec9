"""Sample submissions made from a lab's release: correct, blank, and with known mistakes.

Mutants (plausible wrong student answers) live beside the tests, one file per lab:
tests/mutants/<lab>.py defines

    MUTANTS = {
        "name": {
            "cell": "<grade_id of the answer cell it replaces>",
            "source": "<the wrong answer, as a student would type it>",
            "fails": ["<grade_id of each test cell that must lose its points>", ...],
        },
    }

Every other test cell must keep its points. The demo reuses them as a 'partly wrong' student.
"""
import copy
import runpy

from . import course
from .lab import Lab

MUTANTS_DIR = course.REPO / "tests" / "mutants"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def load_mutants(lab):
    """The lab's MUTANTS dict (empty when the lab ships none)."""
    path = MUTANTS_DIR / f"{lab}.py"
    if not path.exists():
        return {}
    return runpy.run_path(str(path))["MUTANTS"]


def student_code(source):
    """A master cell's solution as a student would have typed it: markers removed."""
    lines = [line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS]
    return "\n".join(lines)


def answered(lab, overrides=None):
    """The release of LAB with every answer cell filled in from the master, then OVERRIDES.

    OVERRIDES maps an answer cell's grade_id to the source to put there instead.
    """
    model = Lab.load(lab)
    solutions = course.nbgrader_cells(model.master, "solution")
    overrides = overrides or {}
    unknown = set(overrides) - set(solutions)
    if unknown:
        raise course.CourseError(f"{lab}: no answer cell named {sorted(unknown)}")
    nb = copy.deepcopy(model.release)
    for grade_id, cell in course.nbgrader_cells(nb, "solution").items():
        cell.source = overrides.get(grade_id, student_code(solutions[grade_id].source))
    return nb


def blank(lab):
    """The release of LAB exactly as students receive it."""
    return copy.deepcopy(Lab.load(lab).release)


def mutant(lab, name):
    """The release of LAB answered correctly except for the one mutant NAME."""
    spec = load_mutants(lab)[name]
    return answered(lab, {spec["cell"]: spec["source"]})
