"""`python -m autograder grade` and `demo`, end to end with real nbgrader runs on lab 01.

One class (a zip with LMS names, nested folders, junk, duplicates, invalid files and hostile
notebooks) is graded once per session and shared by most assertions; the resume, kill, time-limit
and demo tests add a few small runs of their own. Limits are small to keep the suite fast.
"""
import csv
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import __main__ as cli
from autograder import course, demo, grade, samples

LAB = "01_xor_mlp"
pytestmark = pytest.mark.xdist_group("grade")
CELL_TIMEOUT = "40"   # per cell: the loop student waits this long; TF's import must fit under load
MEMORY = "1200"       # MB per kernel: lab 01 needs about 500
SNOOP = r'''
import json, os, socket
_seen = {}
for _p in [SOLUTIONS, GRADEBOOK, SUBMISSIONS, OUT, "../../../../db", "/tmp"]:
    try:
        _seen[_p] = sorted(os.listdir(_p)) if os.path.isdir(_p) else len(open(_p, "rb").read())
    except Exception as _e:
        _seen[_p] = type(_e).__name__
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    _seen["network"] = "reachable"
except OSError as _e:
    _seen["network"] = type(_e).__name__
print("SNOOP" + json.dumps(_seen))
while True:
    pass
'''


def run_cli(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=course.REPO,
                          env=course.kernel_env(), capture_output=True, text=True, timeout=timeout)


def write(path, nb, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    if mtime:
        os.utime(path, (mtime, mtime))


def other_lab_notebook():
    others = [lab for lab in course.lab_names() if lab != LAB and (course.LABS / lab).is_dir()]
    if others:
        return samples.answered(others[0])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import pandas as pd\ndf = pd.read_csv('sales.csv')")]
    return nb


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """The class zip, graded once: (out dir, {student: row}, completed process, paths)."""
    tmp = tmp_path_factory.mktemp("class")
    src, out = tmp / "src", tmp / "out"
    spec = samples.load_mutants(LAB)["or_bias_zero"]
    mutant = samples.mutant(LAB, "or_bias_zero")
    write(src / "canvas" / "smithalice_12345_67890_xor_mlp.ipynb", samples.answered(LAB))
    write(src / "Bob Jones_2001_assignsubmission_file_" / "xor_mlp.ipynb", samples.blank(LAB))
    write(src / "Carol Doe_2002_assignsubmission_file_xor_mlp.ipynb", mutant)
    write(src / "deep" / "er" / "rep1.ipynb", mutant)
    write(src / "rep2.ipynb", mutant)
    write(src / "dave.ipynb", demo.colab_edited(LAB))
    paths = {"solutions": str(course.SOLUTIONS / LAB), "gradebook": str(out / "gradebook.db"),
             "submissions": str(src), "out": str(out)}
    snoop = SNOOP
    for key, value in paths.items():
        snoop = snoop.replace(key.upper(), repr(value))
    write(src / "loop.ipynb", samples.answered(LAB, {"gate_params": snoop}))
    write(src / "bomb.ipynb", samples.answered(
        LAB, {"gate_params": "_blocks = []\nwhile True:\n    _blocks.append(bytearray(100 * 2**20))\n"}))
    write(src / "quitter.ipynb", samples.answered(LAB, {"gate_params": "import os\nos._exit(1)\n"}))
    write(src / "segv.ipynb", samples.answered(LAB, {"gate_params": "import ctypes\nctypes.string_at(0)\n"}))
    write(src / "a" / "erin.ipynb", samples.blank(LAB), mtime=1_600_000_000)
    write(src / "b" / "erin.ipynb", samples.answered(LAB), mtime=1_700_000_000)
    write(src / "other.ipynb", other_lab_notebook())
    (src / "empty.ipynb").write_text("")
    (src / "garbage.ipynb").write_text("{this is not json")
    (src / "v3.ipynb").write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}))
    (src / "readme.txt").write_text("not a notebook")
    (src / "frank_3003_4004_notes.pdf").write_bytes(b"%PDF-1.4")
    (src / "__MACOSX").mkdir()
    (src / "__MACOSX" / "._dave.ipynb").write_bytes(b"\x00junk")
    archive = tmp / "class.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(path.relative_to(src).as_posix(),
                                       time.localtime(path.stat().st_mtime)[:6])
                z.writestr(info, path.read_bytes())
    start = time.monotonic()
    proc = run_cli("grade", LAB, archive, "--out", out, "--workers", "2", "--timeout", CELL_TIMEOUT,
                   "--memory", MEMORY)
    print(f"graded the class in {time.monotonic() - start:.0f} s")
    with open(out / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return {"out": out, "rows": rows, "proc": proc, "zip": archive, "spec": spec, "src": src}


def master():
    return course.read_notebook(course.SOLUTIONS / LAB / course.notebook_name(LAB))


def max_points():
    return {gid: float(c.metadata.nbgrader["points"]) for gid, c in course.nbgrader_cells(master(), "tests").items()}


def cells(row):
    return {gid: float(row[gid]) for gid in max_points()}


# ------------------------------------------------------------------------------------ ids, help

@pytest.mark.parametrize("path, expected", [
    ("alice.ipynb", "alice"),
    ("2024/section 1/Alice Smith.ipynb", "Alice_Smith"),
    ("smithalice_12345_67890_xor_mlp.ipynb", "12345"),
    ("smithalice_LATE_12345_67890_xor_mlp-1.ipynb", "12345"),
    ("Alice Smith_2001_assignsubmission_file_xor_mlp.ipynb", "2001"),
    ("Alice Smith_2001_assignsubmission_file_/xor_mlp.ipynb", "2001"),
    ("export/Alice Smith_2001_assignsubmission_file_/sub/lab.ipynb", "2001"),
])
def test_student_ids_from_file_names(path, expected):
    assert grade.student_id(path)[0] == expected


def test_help_says_how_ids_are_read(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for word in ("Canvas", "Moodle", "<student_id>.ipynb", "--workers", "--timeout", "--memory", "--db"):
        assert word in out
    assert f"default: the number of cores, {grade.default_workers()}" in out


# ------------------------------------------------------------------------------------ the class

def test_every_submission_gets_a_row_and_exit_0(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(graded["rows"]) == {"12345", "2001", "2002", "rep1", "rep2", "dave", "loop", "bomb", "quitter",
                                   "segv", "erin", "other", "empty", "garbage", "v3", "3003"}
    header = next(csv.reader(open(graded["out"] / "grades.csv")))
    assert header == ["student_id", "lab", "score", "max_score", "status"] + list(max_points())


def test_progress_is_shown(graded):
    err = graded["proc"].stderr
    assert re.search(r"\b16/16\b", err) and re.search(r"\d\d:\d\d<\d\d:\d\d", err), err[-2000:]


def test_correct_blank_and_mutant_scores(graded):
    rows, full = graded["rows"], max_points()
    assert rows["12345"]["status"] == "graded" and cells(rows["12345"]) == full
    assert float(rows["12345"]["score"]) == float(rows["12345"]["max_score"]) == sum(full.values())
    assert rows["2001"]["status"] == "graded" and set(cells(rows["2001"]).values()) == {0}
    expected = {gid: 0 if gid in graded["spec"]["fails"] else p for gid, p in full.items()}
    assert cells(rows["2002"]) == expected and rows["2002"]["lab"] == LAB


def test_three_grades_of_one_submission_are_identical(graded):
    rows = graded["rows"]
    assert [cells(rows[s]) for s in ("2002", "rep1", "rep2")] == [cells(rows["2002"])] * 3
    assert len({rows[s]["score"] for s in ("2002", "rep1", "rep2")}) == 1


def test_colab_edited_notebook_is_repaired_and_graded(graded):
    row = graded["rows"]["dave"]
    assert row["status"].startswith("graded (repaired: "), row["status"]
    assert cells(row) == max_points()


def test_hostile_notebooks_cost_only_their_student(graded):
    rows = graded["rows"]
    assert rows["loop"]["status"] == "timeout"
    assert float(rows["loop"]["test_perceptron_predict"]) == 2  # the rest of the notebook still ran
    assert rows["bomb"]["status"] == "memory limit"
    assert rows["quitter"]["status"] == "kernel died"
    assert rows["segv"]["status"] == "kernel died"
    for student in ("bomb", "quitter", "segv"):
        assert float(rows[student]["score"]) == 0


def test_bad_input_gets_a_clear_status(graded):
    rows = graded["rows"]
    for student in ("empty", "garbage", "v3", "other"):
        assert rows[student]["status"].startswith("invalid notebook: "), (student, rows[student]["status"])
        assert float(rows[student]["score"]) == 0
    assert rows["empty"]["status"] == "invalid notebook: empty file"
    assert rows["3003"]["status"] == "missing notebook"
    erin = rows["erin"]
    assert erin["status"].startswith("graded (duplicate id: graded b/erin.ipynb, ignored a/erin.ipynb")
    assert cells(erin) == max_points()
    out = graded["proc"].stdout
    assert "skipped readme.txt: not a notebook" in out
    assert "__MACOSX" not in json.dumps(graded["rows"])


def hidden_lines(nb):
    """Lines of NB's solutions and hidden tests that its release does not show (long enough to be telling)."""
    return {line for line in course.secret_lines(nb) if len(line) >= 12}


def test_feedback_never_shows_hidden_tests_or_solutions(graded):
    secret = hidden_lines(master())
    assert len(secret) > 20
    folder = graded["out"] / "feedback"
    assert {p.stem for p in folder.glob("*.html")} == set(graded["rows"])
    for page in folder.glob("*.html"):
        text = html.unescape(page.read_text())
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{page.name} shows {leaked[:3]}"
        assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text


def test_feedback_says_pass_fail_and_shows_visible_messages(graded):
    folder = graded["out"] / "feedback"
    blank = html.unescape((folder / "2001.html").read_text())
    assert "NotImplementedError" in blank and "failed" in blank and "0 / 15" in blank
    assert "_w, _b = OR_PARAMS" in blank  # the visible check's line that failed
    mutant = html.unescape((folder / "2002.html").read_text())
    assert "OR table: rows are (-1,-1), (-1,1), (1,-1), (1,1)" in mutant  # the visible test's err_msg
    assert "passed" in mutant and "failed" in mutant
    loop = html.unescape((folder / "loop.html").read_text())
    assert "time limit" in loop and "What happened" in loop
    # what nbgrader's own autograded notebook holds is what the feedback must not show
    autograded = (graded["out"] / "autograded" / "2002" / LAB / course.notebook_name(LAB)).read_text()
    assert "BEGIN HIDDEN TESTS" in autograded or "_ref_train" in autograded


def test_summary_csv_and_plot(graded):
    out = graded["out"]
    rows = list(csv.DictReader(open(out / "summary.csv")))
    assert [r["grade_id"] for r in rows] == list(max_points()) + ["total"]
    n = len(graded["rows"])
    for r in rows:
        assert int(r["students"]) == n
    predict = next(r for r in rows if r["grade_id"] == "test_perceptron_predict")
    passing = sum(float(row["test_perceptron_predict"]) == 2 for row in graded["rows"].values())
    assert float(predict["fraction_passing"]) == pytest.approx(passing / n, abs=1e-3)
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_are_in_nbgraders_gradebook(graded):
    from nbgrader.api import Gradebook

    out = graded["out"]
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for student, row in graded["rows"].items():
            nb = gb.find_submission_notebook("xor_mlp", LAB, student)
            assert {g.name: g.score for g in nb.grades} == cells(row), student
    export = course.run_nbgrader(["export", "--to", str(out / "export.csv")], out)
    exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(open(out / "export.csv"))}
    assert exported == {s: float(r["score"]) for s, r in graded["rows"].items()}, export.stdout


def test_student_code_is_isolated(graded):
    nb = json.loads((graded["out"] / "autograded" / "loop" / LAB / course.notebook_name(LAB)).read_text())
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    seen = json.loads(text.split("SNOOP", 1)[1].splitlines()[0])
    assert seen["network"] != "reachable"
    paths = [str(course.SOLUTIONS / LAB), str(graded["out"] / "gradebook.db"), str(graded["src"]),
             str(graded["out"])]
    for path in paths:
        assert seen[path] in ("FileNotFoundError", "PermissionError") or seen[path] == [] or \
            seen[path] == [".work"], (path, seen[path])
    assert seen["../../../../db"] in ("FileNotFoundError", []), seen  # its own worker's gradebook
    # /tmp is an empty tmpfs holding only the skeletons of the folders bound back in (the kernel's
    # own folder, the Python environment, data/), which lie under /tmp when the clone does.
    kept = (graded["out"], course.DATA, Path(sys.prefix))
    skeletons = {Path(p).resolve().relative_to("/tmp").parts[0] for p in kept if str(Path(p).resolve()).startswith("/tmp/")}
    assert all(name.startswith(("ag-", "tmp")) or name in skeletons for name in seen["/tmp"]), seen["/tmp"]
    result = json.loads((graded["out"] / "results" / "loop.json").read_text())
    assert result["isolation"]["namespaces"] and not result["isolation"]["network"]


# ------------------------------------------------------------------------------------ resume

def test_rerun_grades_only_what_is_missing(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    before = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    (out / "results" / "garbage.json").unlink()          # as if interrupted before these were saved
    (out / "results" / "3003.json").unlink()
    proc = run_cli("grade", LAB, graded["zip"], "--out", out, "--workers", "2", "--timeout", CELL_TIMEOUT,
                   "--memory", MEMORY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming: 14 of 16 already graded" in proc.stdout
    after = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    assert set(after) == set(before)
    for name, text in before.items():
        if name not in ("garbage.json", "3003.json"):
            assert after[name] == text, f"{name} was graded again"
    assert open(out / "grades.csv").read() == open(graded["out"] / "grades.csv").read()


def test_interrupted_run_resumes(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    write(src / "first.ipynb", samples.blank(LAB))
    write(src / "second.ipynb", samples.mutant(LAB, "or_bias_zero"))
    cmd = [sys.executable, "-m", "autograder", "grade", LAB, str(src), "--out", str(out), "--workers", "1",
           "--timeout", CELL_TIMEOUT]
    proc = subprocess.Popen(cmd, cwd=course.REPO, env=course.kernel_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "run the same command again to resume" in err
    done = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    assert len(done) == 1
    proc = subprocess.run(cmd, cwd=course.REPO, env=course.kernel_env(), capture_output=True, text=True)
    assert proc.returncode == 0 and "resuming: 1 of 2" in proc.stdout
    rows = {r["student_id"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert set(rows) == {"first", "second"} and all(r["status"] == "graded" for r in rows.values())
    for name, text in done.items():
        assert (out / "results" / name).read_text() == text


def test_three_runs_give_the_same_numbers(tmp_path):
    # one worker grades the three in turn: nothing one student's run leaves behind may change the next
    write(tmp_path / "src" / "a-mutant.ipynb", samples.mutant(LAB, "or_bias_zero"))
    write(tmp_path / "src" / "b-correct.ipynb", samples.answered(LAB))
    write(tmp_path / "src" / "c-blank.ipynb", samples.blank(LAB))
    tables = []
    for run in range(3):
        proc = run_cli("grade", LAB, tmp_path / "src", "--out", tmp_path / "out", "--workers", "1", "--regrade")
        assert proc.returncode == 0, proc.stderr[-3000:]
        tables.append((tmp_path / "out" / "grades.csv").read_text())
    assert tables[0] == tables[1] == tables[2]
    rows = {r["student_id"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert cells(rows["b-correct"]) == max_points() and float(rows["c-blank"]["score"]) == 0
    assert 0 < float(rows["a-mutant"]["score"]) < sum(max_points().values())


def test_notebook_time_limit_costs_one_student_and_its_worker_is_replaced(tmp_path):
    loop = samples.answered(LAB, {next(iter(course.nbgrader_cells(samples.blank(LAB), "solution"))): demo.LOOP})
    write(tmp_path / "src" / "a-loop.ipynb", loop)       # graded first: the one worker is killed ...
    write(tmp_path / "src" / "b-next.ipynb", samples.answered(LAB))  # ... and a fresh one grades this
    proc = run_cli("grade", LAB, tmp_path / "src", "--out", tmp_path / "out", "--workers", "1",
                   "--timeout", "300", "--notebook-timeout", "30")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["student_id"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert rows["a-loop"]["status"] == "timeout" and float(rows["a-loop"]["score"]) == 0
    assert rows["b-next"]["status"] == "graded" and cells(rows["b-next"]) == max_points()


def test_db_option_puts_the_grades_in_that_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    write(tmp_path / "src" / "alice.ipynb", samples.mutant(LAB, "or_bias_zero"))
    db = tmp_path / "course" / "grades.sqlite"
    db.parent.mkdir()
    proc = run_cli("grade", LAB, tmp_path / "src", "--out", tmp_path / "out", "--db", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = next(csv.DictReader(open(tmp_path / "out" / "grades.csv")))
    assert row["status"] == "graded" and not (tmp_path / "out" / "gradebook.db").exists()
    with Gradebook(f"sqlite:///{db}") as gb:
        nb = gb.find_submission_notebook("xor_mlp", LAB, "alice")
        assert {g.name: g.score for g in nb.grades} == cells(row)
    assert f"sqlite:///{db}" in (tmp_path / "out" / "nbgrader_config.py").read_text()  # export works in DIR


# ------------------------------------------------------------------------------------ CLI errors

def test_unknown_lab_is_an_error(tmp_path, capsys):
    assert cli.main(["grade", "00_nope", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "unknown lab '00_nope'" in capsys.readouterr().err


def test_missing_submissions_is_an_error(tmp_path, capsys):
    assert cli.main(["grade", LAB, str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "does not exist" in err


def test_unreadable_zip_is_an_error(tmp_path, capsys):
    bad = tmp_path / "class.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert cli.main(["grade", LAB, str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "class.zip" in err and "cannot read" in err


def test_a_folder_without_notebooks_says_so(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.txt").write_text("no notebook here")
    proc = run_cli("grade", LAB, tmp_path / "src", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "skipped notes.txt: not a notebook" in proc.stdout and "no notebooks found in" in proc.stdout
    assert open(tmp_path / "out" / "grades.csv").read().splitlines()[1:] == []


# ------------------------------------------------------------------------------------ demo

def test_demo_grades_the_sample_class(tmp_path):
    proc = run_cli("demo", "--labs", LAB, "--out", tmp_path, "--timeout", "30", "--workers", "2")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    table = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith(LAB)}
    assert set(table) == {"correct", "blank", "partly-wrong", "crashing", "too-slow", "colab-edited"}
    assert re.search(r"15 / 15\s+graded$", table["correct"])
    assert re.search(r"\b0 / 15\s+graded$", table["blank"])
    assert "graded" in table["partly-wrong"] and "15 / 15" not in table["partly-wrong"]
    assert table["crashing"].endswith("kernel died")
    assert table["too-slow"].endswith("timeout")
    assert re.search(r"15 / 15\s+graded \(repaired: ", table["colab-edited"])
    assert (tmp_path / LAB / "grades.csv").exists() and (tmp_path / LAB / "summary.png").exists()
