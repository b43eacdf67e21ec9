"""Record grades into nbgrader's gradebook, so that formgrader and `nbgrader export` work in OUT.

The lab's assignment (its notebooks and grade cells) enters a gradebook through nbgrader's own
generate_assignment, run once per lab version in a throw-away template course. Scores are written
by this one writer (the grading workers never touch a gradebook).
"""
import shutil
import tempfile
import warnings
from pathlib import Path

from .. import course


def template(lab, workdir):
    """A throw-away course with LAB generated (its gradebook.db holds the assignment); made once."""
    folder = Path(workdir) / f"template-{lab.name}-{lab.version}"
    if not (folder / "gradebook.db").exists():
        shutil.rmtree(folder, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix="template-", dir=workdir))
        course.new_course(tmp, [lab.name])
        tmp.rename(folder)
    return folder


def ensure_assignment(db_url, lab, template_folder):
    """Give the gradebook at DB_URL the lab's assignment (generate_assignment), if it lacks it."""
    from nbgrader.api import MissingEntry

    try:
        with course.gradebook(db_url) as book:
            assignment = book.find_assignment(lab.name)
            if {c.name for n in assignment.notebooks for c in n.grade_cells} >= set(lab.tests):
                return
    except MissingEntry:
        pass
    except Exception as error:
        raise course.CourseError(f"cannot open the gradebook {db_url}: {error}")
    course.generate(template_folder, lab.name, db_url)


def record(db_url, lab, result):
    """Write RESULT's points per graded cell into the gradebook at DB_URL."""
    from nbgrader.api import MissingEntry

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own add_submission
    name = Path(lab.notebook).stem
    with course.gradebook(db_url) as book:
        book.update_or_create_student(result["student_id"])
        try:
            book.find_submission(lab.name, result["student_id"])
        except MissingEntry:
            book.add_submission(lab.name, result["student_id"])
        for gid, points in result["cells"].items():
            grade = book.find_grade(gid, name, lab.name, result["student_id"])
            grade.auto_score = points
            grade.needs_manual_grade = False
        book.db.commit()
