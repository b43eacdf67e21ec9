"""Helpers every test module shares: running the CLI, writing notebooks, reading grades and feedback."""
import csv
import html
import os
import subprocess
import sys

import nbformat
import pytest

from autograder import course
from autograder.lab import Lab

# Limits that keep grading runs in the suite small and fast.
CELL_TIMEOUT = "40"   # per cell: a looping student waits this long; TF's import must fit under load
MEMORY = "1500"       # MB per kernel: lab 01 needs about 600


def run_cli(*args, timeout=900, env=None):
    """`python -m autograder ARGS` in a subprocess: the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=course.REPO,
                          env=env or course.kernel_env(), capture_output=True, text=True, timeout=timeout)


def grade_cli(lab, submissions, out, *extra, workers=2, timeout=900):
    """`grade LAB SUBMISSIONS --out OUT` with the suite's small limits."""
    return run_cli("grade", lab, submissions, "--out", out, "--workers", workers, "--timeout", CELL_TIMEOUT,
                   "--memory", MEMORY, *extra, timeout=timeout)


def write(path, nb, mtime=None):
    """Write notebook NB to PATH (folders made), with file time MTIME if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


def max_points(lab):
    """{graded cell: points} of LAB."""
    return {gid: test.points for gid, test in Lab.load(lab).tests.items()}


def rows(out):
    """{student_id: row} of OUT/grades.csv."""
    with open(out / "grades.csv") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def cells(row, lab):
    """{graded cell: points} of a grades.csv ROW."""
    return {gid: float(row[gid]) for gid in max_points(lab)}


def feedback(out, student):
    """The text of OUT/feedback/STUDENT.html, entities decoded."""
    return html.unescape((out / "feedback" / f"{student}.html").read_text())


def secret_lines(lab, shortest=12):
    """Lines of LAB's solutions and hidden tests that its release never shows, not even as part of a
    line (long enough to be telling)."""
    model = Lab.load(lab)
    shown = "\n".join(cell.source for cell in model.release.cells)
    return {line for line in model.secret_lines() if len(line) >= shortest and line not in shown}


def assert_no_secret(text, lab, where):
    leaked = [line for line in secret_lines(lab) if line in text]
    assert not leaked, f"{where} shows solution or hidden-test lines: {leaked[:3]}"
    assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, where


def needs_root():
    return pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's cgroups need root here (CI runs as root)")


UNGROUPED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Fail closed when `--dist loadgroup` would not group: the suite's session fixtures (a lab's class,
    the attack class) would be graded once per worker, doubling the suite's time. pytest-xdist marks
    a grouped test by suffixing its node id with @group, which pytest 9.2 ignores (pytest 8.4 works)."""
    if getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        for item in items:
            item.stash[UNGROUPED] = bool(item.get_closest_marker("xdist_group")) and "@" not in item.nodeid


def pytest_runtest_setup(item):
    if item.stash.get(UNGROUPED, False):
        pytest.fail(f"pytest-xdist cannot keep this test's xdist_group on one worker with pytest "
                    f"{pytest.__version__}: install the versions in requirements.txt", pytrace=False)
