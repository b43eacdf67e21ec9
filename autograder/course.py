"""Where the course lives, and the nbgrader calls every command shares.

Each command works in a throw-away nbgrader course directory (a copy of the course config and
the lab's master notebook), so the repository itself never holds a gradebook or student files.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
LABS = REPO / "labs"
DATA = REPO / "data"
CONFIG = REPO / "nbgrader_config.py"

# What nbgrader writes into a fresh release that the committed labs/ must equal.
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


class CourseError(Exception):
    """Grading cannot run at all (an unknown lab, a broken course): the message says why."""


def lab_names():
    """Lab folder names in solutions/, in course order (the NN_ prefix)."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def notebook_name(lab):
    """File name of the lab's one notebook, e.g. 'xor_mlp.ipynb' for '01_xor_mlp'."""
    if lab not in lab_names():
        raise CourseError(f"unknown lab {lab!r}; the labs are: {', '.join(lab_names())}")
    notebooks = sorted((SOLUTIONS / lab).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise CourseError(f"solutions/{lab} must hold exactly one notebook, found {len(notebooks)}")
    return notebooks[0].name


def kernel_env(**extra):
    """Environment for nbgrader and the kernels it starts: quiet TensorFlow, data found offline."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", DL_LABS_DATA=str(DATA), PYTHONWARNINGS="ignore")
    # nbgrader shells out to `alembic` and kernels to `python`: use this environment's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra)
    return env


def run_nbgrader(args, course, check=True):
    """Run `nbgrader ARGS` in COURSE; raise CourseError with its log when CHECK and it fails."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=course, env=kernel_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise CourseError(f"`nbgrader {' '.join(args)}` failed in {course}:\n{proc.stdout}{proc.stderr}")
    return proc


def alembic_head():
    """The gradebook schema's revision id, which nbgrader stamps on every new gradebook."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def _read_alembic_head_in_process():
    # nbgrader reads that id for a new gradebook by running `alembic heads` in a subprocess: 2 s,
    # and only where the venv's bin/ is on PATH. Read in-process it takes 0.07 s.
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head


def gradebook(db_url):
    """nbgrader's Gradebook at DB_URL, made (empty, with nbgrader's schema) if it does not exist."""
    from nbgrader.api import Gradebook

    _read_alembic_head_in_process()
    return Gradebook(db_url)


def nbgrader_api(root, db_url=None):
    """nbgrader's Python API (what its command line runs) for the course in ROOT, as its config says."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _read_alembic_head_in_process()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def generate(root, lab, db_url=None):
    """`nbgrader generate_assignment LAB --force` in the course ROOT (into DB_URL's gradebook, if given)."""
    outcome = nbgrader_api(root, db_url).generate_assignment(lab, force=True, create=True)
    if not outcome["success"]:
        raise CourseError(f"`nbgrader generate_assignment {lab}` failed in {root}:\n"
                          f"{outcome.get('log', '')}{outcome.get('error', '')}")


def new_course(root, labs):
    """Make a throw-away course in ROOT with LABS generated (gradebook filled, labs/ released)."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, root / "nbgrader_config.py")
    for lab in labs:
        notebook_name(lab)  # fails early on an unknown lab
        shutil.copytree(SOLUTIONS / lab, root / "solutions" / lab, ignore=IGNORED, dirs_exist_ok=True)
        generate(root, lab)
    return root


def read_notebook(path):
    return nbformat.read(str(path), as_version=4)


def nbgrader_cells(nb, kind):
    """{grade_id: cell} of NB's 'solution' (answer) or 'tests' (graded test) cells, in order."""
    key = {"solution": "solution", "tests": "grade"}[kind]
    return {
        cell.metadata.nbgrader["grade_id"]: cell
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get(key) and cell.cell_type == "code"
    }


def submit(course, lab, student, nb):
    """Place NB as STUDENT's submission of LAB in COURSE (nbgrader's submitted/ layout)."""
    target = Path(course) / "submitted" / student / lab
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target / notebook_name(lab)))


def autograde(course, lab):
    """nbgrader autograde LAB in COURSE, every submitted student."""
    return run_nbgrader(["autograde", lab, "--force"], course)


def scores(course, lab, db_url=None):
    """{student: {test cell grade_id: points earned}} from COURSE's gradebook (or the one at DB_URL)."""
    name = Path(notebook_name(lab)).stem
    result = {}
    with gradebook(db_url or f"sqlite:///{Path(course) / 'gradebook.db'}") as book:
        for submission in book.assignment_submissions(lab):
            notebook = book.find_submission_notebook(name, lab, submission.student.id)
            result[submission.student.id] = {
                grade.name: grade.score for grade in notebook.grades
            }
    return result
