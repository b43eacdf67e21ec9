"""Attacks on the grader from inside a submission, graded for real with `grade` on lab 01.

One class holds three honest baselines (correct, blank, a wrong answer) and one notebook per attack
(tests/grading/attacks.py). Every attack must gain no point beyond its base notebook's, leak nothing
into feedback, reach nothing outside its sandbox, and leave nothing behind. The suite would fail
against the previous grader (hidden tests in the student's process, a deny-list sandbox): that is the
point of each assertion.
"""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys

import nbformat
import pytest

from autograder import course, samples
from autograder.lab import Lab
from tests.conftest import assert_no_secret, cells, feedback, grade_cli, max_points, rows, write
from tests.grading import attacks

LAB = "01_xor_mlp"
pytestmark = [pytest.mark.xdist_group("attacks"), pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's cgroups need root here (CI runs as root)")]
DATA = course.DATA / "mnist_subset.npz"


def with_cell(nb, source):
    """NB with a student-added cell SOURCE right after the setup cell (repair keeps it there)."""
    nb.cells.insert(2, nbformat.v4.new_code_cell(source))
    return nb


def numpy_only(overrides=None):
    """Lab 01 answered except its two Keras exercises (left blank: no training in these notebooks),
    then OVERRIDES ({answer cell: source})."""
    stubs = {gid: cell.source for gid, cell in course.nbgrader_cells(samples.blank(LAB), "solution").items()}
    return samples.answered(LAB, {"build_xor_model": stubs["build_xor_model"],
                                  "train_xor_model": stubs["train_xor_model"], **(overrides or {})})


def only(source):
    """The release with SOURCE as its first answer cell and every other answer cell empty."""
    gids = list(course.nbgrader_cells(samples.blank(LAB), "solution"))
    return samples.answered(LAB, {gid: source if n == 0 else "pass" for n, gid in enumerate(gids)})


def html_cells(nb):
    nb = with_cell(nb, "from IPython.display import HTML, Javascript, display\n"
                       "display(HTML('<script>alert(1)</script><b>hi</b>'))\ndisplay(Javascript('alert(2)'))")
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("<script>alert(3)</script> <img src=x onerror=alert(4)>"))
    return nb


@pytest.fixture(scope="session")
def attacked(tmp_path_factory):
    """The class graded once: {"out", "rows", "proc", "seen": {student: what its probe printed}}."""
    tmp = tmp_path_factory.mktemp("attacks")
    src, out, other_run = tmp / "src", tmp / "out", tmp / "other-run"
    (other_run / "submitted").mkdir(parents=True)
    (other_run / "gradebook.db").write_bytes(b"SQLite format 3\0")
    secret = os.path.expanduser(f"~/.autograder-test-secret-{os.getpid()}")
    with open(secret, "w") as f:
        f.write("instructor's private key")
    listener = socket.socket(socket.AF_UNIX)
    unix_path = str(tmp / "grader.sock")
    listener.bind(unix_path)
    listener.listen(1)
    site = next(p for p in __import__("sys").path if p.endswith("site-packages"))
    snoop = attacks.SNOOP.replace("PATHS", repr({
        "solutions": str(course.SOLUTIONS / LAB), "repo": str(course.REPO), "gradebook": str(out / "gradebook.db"),
        "submissions": str(src), "out": str(out), "other run": str(other_run), "secret": secret,
        "grader home": os.path.expanduser("~"), "data": "/course/data/mnist_subset.npz"})).replace(
        "WRITES", repr({"startup": "/home/student/.ipython/profile_default/startup/00-pwn.py",
                        "root fs": "/pwn.py", "grader home": os.path.expanduser("~/.pwn.py"),
                        "pth": f"{site}/zz-pwn.pth", "data write": "/course/data/mnist_subset.npz",
                        "repo data write": str(DATA)})).replace("UNIX_SOCKET", repr(unix_path))
    blank = samples.blank
    mutant = lambda: numpy_only({"gate_params": samples.load_mutants(LAB)["or_bias_zero"]["source"]})  # noqa: E731
    students = {
        "correct": numpy_only(), "blank": blank(LAB), "mutant": mutant(),
        "kmutant": samples.mutant(LAB, "linear_hidden_layer"),
        "transformer": with_cell(blank(LAB), attacks.TRANSFORMER),
        "custom-exc": with_cell(blank(LAB), attacks.CUSTOM_EXC),
        "send-patch": with_cell(blank(LAB), attacks.SEND_PATCH),
        "partial-credit": with_cell(blank(LAB), attacks.PARTIAL_CREDIT),
        "numpy-patch": with_cell(mutant(), attacks.NUMPY_PATCH),
        "settrace": with_cell(mutant(), attacks.SETTRACE),
        "builtins-keras": with_cell(samples.mutant(LAB, "linear_hidden_layer"), attacks.BUILTINS_AND_KERAS),
        "liar": numpy_only({"perceptron_predict": attacks.LIAR, "gate_params": "pass", "sigmoid_xor_network": "pass"}),
        "stack-reader": only(attacks.STACK_READER),
        "disk-reader": with_cell(blank(LAB), attacks.DISK_READER),
        "replace-agent": with_cell(blank(LAB), attacks.REPLACE_AGENT),
        "huge": numpy_only({"xor_from_gates": attacks.HUGE, "sigmoid_xor_network": "pass"}),
        "snoop": html_cells(with_cell(blank(LAB), snoop)),
        "signaller": with_cell(blank(LAB), attacks.SIGNALLER),
        "daemon": with_cell(blank(LAB), attacks.DAEMON),
        "fork-bomb": with_cell(blank(LAB), attacks.FORK_BOMB),
        "memory-children": with_cell(blank(LAB), attacks.MEMORY_CHILDREN),
        "loop": numpy_only({"gate_params": attacks.LOOP_IGNORING_SIGINT}),
        "suicide": numpy_only({"xor_from_gates": attacks.SUICIDE}),
    }
    for student, nb in students.items():
        write(src / f"{student}.ipynb", nb)
    data_before = hashlib.sha256(DATA.read_bytes()).hexdigest()
    try:
        proc = grade_cli(LAB, src, out, timeout=1800)
    finally:
        os.remove(secret)
        listener.close()
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = {}
    for student in students:
        path = out / "autograded" / student / LAB / course.notebook_name(LAB)
        if path.exists():
            text = "".join(o.get("text", "") for c in nbformat.read(str(path), 4).cells if c.cell_type == "code"
                           for o in c.get("outputs", []))
            seen[student] = text
    return {"out": out, "rows": rows(out), "proc": proc, "seen": seen, "students": students,
            "data_before": data_before}


def points(attacked, student):
    return cells(attacked["rows"][student], LAB)


def test_every_student_gets_a_row(attacked):
    assert set(attacked["rows"]) == set(attacked["students"])


def test_baselines_score_as_expected(attacked):
    full = max_points(LAB)
    assert set(points(attacked, "blank").values()) == {0}
    correct = points(attacked, "correct")
    keras_checks = {"test_build_xor_model", "test_train_xor_model"}
    assert {gid: p for gid, p in correct.items() if gid not in keras_checks} == \
        {gid: p for gid, p in full.items() if gid not in keras_checks}
    assert sum(correct.values()) > sum(points(attacked, "mutant").values()) > 0


@pytest.mark.parametrize("student", ["transformer", "custom-exc", "send-patch", "partial-credit", "stack-reader",
                                     "disk-reader", "replace-agent", "snoop", "signaller", "daemon", "fork-bomb",
                                     "memory-children"])
def test_a_blank_notebook_with_an_attack_gets_nothing(attacked, student):
    assert set(points(attacked, student).values()) == {0}, attacked["rows"][student]


@pytest.mark.parametrize("student, base", [("numpy-patch", "mutant"), ("settrace", "mutant"),
                                           ("builtins-keras", "kmutant")])
def test_a_wrong_answer_with_an_attack_gains_nothing(attacked, student, base):
    got, wrong = points(attacked, student), points(attacked, base)
    assert all(got[gid] <= wrong[gid] for gid in got), (got, wrong)  # it may break its own kernel, no more


def test_lying_return_types_decide_nothing(attacked):
    got = points(attacked, "liar")
    for gid in ("test_perceptron_predict", "test_or_params", "test_and_params", "test_sigmoid_xor_network"):
        assert got[gid] == 0, gid


def test_huge_and_deep_return_values_fail_their_checks_only(attacked):
    got, correct = points(attacked, "huge"), points(attacked, "correct")
    for gid in ("test_xor_from_gates", "test_sigmoid_xor_network"):  # 80 MB, and 100,000 levels deep
        assert got[gid] == 0, gid
    for gid in ("test_perceptron_predict", "test_train_perceptron_separable"):
        assert got[gid] == correct[gid] > 0, gid  # the rest of the notebook was graded as usual


def test_feedback_leaks_no_hidden_test_and_no_student_text(attacked):
    for student in attacked["students"]:
        text = feedback(attacked["out"], student)
        assert_no_secret(text, LAB, f"feedback of {student}")
        assert "LEAKMARK" not in text, student
    assert "Your code raised RuntimeError" in feedback(attacked["out"], "stack-reader")


def test_the_stack_and_the_disk_hold_no_hidden_test(attacked):
    # the stack reader found no reference implementation to call (it would have scored) ...
    assert set(points(attacked, "stack-reader").values()) == {0}
    # ... and the disk reader no notebook with a solution or a hidden test, no grader process
    found = re.search(r"FOUND(\[.*?\])", attacked["seen"]["disk-reader"])
    assert found and found.group(1) == "[]", attacked["seen"]["disk-reader"][-2000:]


def snooped(attacked):
    return json.loads(attacked["seen"]["snoop"].split("SNOOP", 1)[1].splitlines()[0])


def test_the_sandbox_shows_nothing_of_the_host(attacked):
    seen = snooped(attacked)
    for name in ("solutions", "gradebook", "submissions", "out", "other run", "secret"):
        assert seen[name] in ("FileNotFoundError", "PermissionError"), (name, seen[name])
    venv = os.path.relpath(sys.prefix, course.REPO).split(os.sep)[0]
    assert seen["repo"] in ("FileNotFoundError", [venv]), seen["repo"]  # at most the path to the Python it runs
    home = seen["grader home"]
    assert isinstance(home, str) and home.endswith("Error") or set(home) <= {".pyenv"}, home  # at most its Python
    assert isinstance(seen["data"], int) and seen["data"] > 1_000_000  # the lab's data, read-only
    assert seen["network"] != "reachable" and seen["unix socket"] != "connected"
    assert len(seen["processes"]) <= 3, seen["processes"]  # its own PID namespace: bwrap's init and the kernel
    assert seen["uid"] == 65534


def test_the_sandbox_is_read_only_outside_home_and_bounded(attacked):
    seen = snooped(attacked)
    for name in ("pth", "root fs", "grader home"):
        assert seen[name] in ("OSError", "PermissionError", "FileNotFoundError"), (name, seen[name])
    assert seen["data write"] in ("OSError", "PermissionError"), seen["data write"]
    # The data's host path: absent in the sandbox, or (a course checked out under /tmp) a new file in the
    # sandbox's own /tmp; the host's file is unchanged either way (below).
    private = str(DATA.resolve()).startswith("/tmp/")
    assert seen["repo data write"] in ("OSError", "PermissionError", "FileNotFoundError") + (("written",) if private else ()), \
        seen["repo data write"]
    assert seen["startup"] == "written"  # its own throw-away HOME ...
    assert set(points(attacked, "blank").values()) == {0}  # ... which no other kernel ever sees
    assert seen["disk"] == "OSError"  # /tmp is size-capped: ENOSPC
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == attacked["data_before"]


def test_kept_notebooks_carry_no_live_html_or_javascript(attacked):
    for folder in ("autograded", "submitted"):
        nb = nbformat.read(str(attacked["out"] / folder / "snoop" / LAB / course.notebook_name(LAB)), 4)
        markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
        assert "alert(3)" in markdown and "<script" not in markdown and "<img" not in markdown, folder
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                assert "application/javascript" not in data and "<script" not in data.get("text/html", ""), folder
    assert "sanitize_html = True" in (attacked["out"] / "nbgrader_config.py").read_text()


def test_signals_reach_only_the_sandbox(attacked):
    killed = re.search(r"KILLED(\[.*?\])", attacked["seen"]["signaller"])
    assert killed and len(json.loads(killed.group(1))) <= 2, attacked["seen"]["signaller"]
    assert attacked["rows"]["signaller"]["status"] in ("graded", "kernel died")
    assert attacked["rows"]["correct"]["status"] == "graded"  # the grader and the others went on


def test_nothing_a_kernel_started_outlives_its_grading(attacked):
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 617.25" not in ps  # the detached daemon (double fork + setsid) died with its sandbox
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"):  # v1 and v2: the kernels' cgroups
        for name in os.listdir(base) if os.path.isdir(base) else []:
            owner = re.match(r"autograder-(\d+)-", name)
            if owner and not os.path.exists(f"/proc/{owner.group(1)}"):  # its grading worker has ended
                pytest.fail(f"a cgroup outlived its grading: {base}/{name}")


def test_process_and_memory_limits_count_the_whole_tree(attacked):
    forked = re.search(r"FORKED (\d+)", attacked["seen"]["fork-bomb"])
    assert forked and int(forked.group(1)) < 600, attacked["seen"]["fork-bomb"][-500:]
    assert attacked["rows"]["memory-children"]["status"] == "memory limit", attacked["rows"]["memory-children"]


def test_a_loop_that_ignores_sigint_is_killed_and_the_rest_is_graded(attacked):
    row = attacked["rows"]["loop"]
    assert row["status"] == "timeout", row
    got, correct = points(attacked, "loop"), points(attacked, "correct")
    assert got["test_perceptron_predict"] == correct["test_perceptron_predict"]  # before the loop
    assert got["test_sigmoid_xor_network"] == correct["test_sigmoid_xor_network"] > 0  # after it: restarted


def test_a_crash_costs_only_the_checks_that_need_it(attacked):
    row = attacked["rows"]["suicide"]
    assert row["status"] == "kernel died" and "the kernel crashed" in row["notes"], row
    got, correct = points(attacked, "suicide"), points(attacked, "correct")
    assert got["test_xor_from_gates"] == 0
    for gid in ("test_perceptron_predict", "test_train_perceptron_separable", "test_sigmoid_xor_network"):
        assert got[gid] == correct[gid] > 0, gid  # before and after the crash: plain nbgrader zeroes them all
