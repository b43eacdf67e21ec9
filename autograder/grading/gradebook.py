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
    """A throw-away course with LAB generated (its gradebook.db holds the assignment); made once, also
    when several graders (shards) share WORKDIR: one of them wins the race, the others use its course."""
    folder = Path(workdir) / f"template-{lab.name}-{lab.version}"
    if not (folder / "gradebook.db").exists():
        tmp = Path(tempfile.mkdtemp(prefix="template-", dir=workdir))
        course.new_course(tmp, [lab.name])
        try:
            tmp.rename(folder)
        except OSError:  # another grader made it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
            if not (folder / "gradebook.db").exists():
                raise
    return folder


def write_course_config(out, db_url):
    """OUT/nbgrader_config.py: the course, pointing at the gradebook, so formgrader and export work in OUT."""
    (Path(out) / "nbgrader_config.py").write_text(
        course.CONFIG.read_text() + f"\nc.CourseDirectory.db_url = {db_url!r}\n"
        "# formgrader renders submissions in the instructor's browser: no live HTML or JavaScript\n"
        "c.HTMLExporter.sanitize_html = True\n")


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


def record(db_url, lab, *results):
    """Write each result's points per graded cell into the gradebook at DB_URL (one connection, one commit)."""
    from nbgrader.api import MissingEntry

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own add_submission
    name = Path(lab.notebook).stem
    with course.gradebook(db_url) as book:
        for result in results:
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
