"""The nbgrader plumbing every command shares (autograder/course.py)."""
import subprocess
import sys

from sqlalchemy import text

from autograder import course


def test_alembic_head_is_what_nbgrader_reads_with_alembic():
    # course reads the gradebook schema's revision in-process instead of nbgrader's `alembic heads`
    # subprocess: both must stamp new gradebooks with the same id.
    proc = subprocess.run([sys.executable, "-c", "import nbgrader.api; print(nbgrader.api.get_alembic_version())"],
                          env=course.kernel_env(), capture_output=True, text=True, check=True)
    assert course.alembic_head() == proc.stdout.strip() != ""


def test_a_new_gradebook_gets_nbgraders_schema(tmp_path):
    with course.gradebook(f"sqlite:///{tmp_path / 'new.db'}") as book:
        assert book.students == []
        version = book.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == course.alembic_head()
