"""`python -m autograder grade` and `demo`, end to end with real grading runs on lab 01.

One class (a zip with LMS names, nested folders, junk, duplicates, invalid files and a Colab round
trip) is graded once per session and shared by most assertions; the resume, kill, time-limit,
sandbox and demo tests add a few small runs of their own. Attacks are in test_attacks.py.
"""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest

from autograder import __main__ as cli
from autograder import course, demo, samples
from tests.conftest import (CELL_TIMEOUT, assert_no_secret, cells, feedback, grade_cli, max_points, rows, run_cli,
                            write)

LAB = "01_xor_mlp"
pytestmark = pytest.mark.xdist_group("grade")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's cgroups need root here (CI runs as root)")
slow = pytest.mark.slow


def other_lab_notebook():
    others = [lab for lab in course.lab_names() if lab != LAB]
    return samples.answered(others[0])


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """The class zip, graded once: {"out", "rows", "proc", "zip", "spec", "src"}."""
    tmp = tmp_path_factory.mktemp("class")
    src, out = tmp / "src", tmp / "out"
    spec = samples.load_mutants(LAB)["or_bias_zero"]
    mutant = samples.mutant(LAB, "or_bias_zero")
    write(src / "canvas" / "smithalice_LATE_12345_67890_xor_mlp.ipynb", samples.answered(LAB))
    write(src / "Bob Jones_2001_assignsubmission_file_" / "xor_mlp.ipynb", samples.blank(LAB))
    write(src / "Carol Doe_2002_assignsubmission_file_xor_mlp.ipynb", mutant)
    write(src / "deep" / "er" / "rep1.ipynb", mutant)
    write(src / "dave.ipynb", demo.colab_edited(LAB))
    write(src / "a" / "erin.ipynb", samples.blank(LAB), mtime=1_600_000_000)
    write(src / "b" / "erin.ipynb", samples.answered(LAB), mtime=1_700_000_000)
    write(src / "Zoë.ipynb", samples.blank(LAB))
    write(src / "Zoé.ipynb", samples.blank(LAB))
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
                info = zipfile.ZipInfo(path.relative_to(src).as_posix(), time.localtime(path.stat().st_mtime)[:6])
                z.writestr(info, path.read_bytes())
        z.writestr("../../escape.ipynb", nbformat.writes(samples.blank(LAB)))
        z.writestr("x" * 300 + ".ipynb", nbformat.writes(samples.blank(LAB)))          # a very long name
        z.writestr("bomb.ipynb", b"\0" * (21 << 20), compress_type=zipfile.ZIP_DEFLATED)  # 21 MB of zeros
    start = time.monotonic()
    proc = grade_cli(LAB, archive, out)
    print(f"graded the class in {time.monotonic() - start:.0f} s")
    return {"out": out, "rows": rows(out), "proc": proc, "zip": archive, "spec": spec, "src": src}


def test_help_says_how_ids_are_read(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for word in ("Canvas", "Moodle", "<student_id>.ipynb", "--workers", "--timeout", "--memory", "--db", "--shard",
                 "--unsafe-no-sandbox", "--cpu-seconds", "--pids"):
        assert word in out


@needs_root
@slow
def test_every_submission_gets_a_row_and_exit_0(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    long_id = next(sid for sid in graded["rows"] if sid.startswith("xxx"))
    assert len(long_id) <= 64 and graded["rows"][long_id]["status"] == "graded"  # shortened, graded, not fatal
    assert set(graded["rows"]) == {"12345", "2001", "2002", "rep1", "dave", "erin", "Zoë", "Zoé", "other", "empty",
                                   "garbage", "v3", "3003", "bomb", long_id}
    header = next(csv.reader(open(graded["out"] / "grades.csv")))
    assert header == ["student_id", "lab", "score", "max_score", "status", "notes", "protections"] + list(max_points(LAB))
    assert re.search(r"\b15/15\b", proc.stderr) and re.search(r"\d\d:\d\d<\d\d:\d\d", proc.stderr)  # progress


@needs_root
@slow
def test_correct_blank_and_mutant_scores(graded):
    rows_, full = graded["rows"], max_points(LAB)
    assert rows_["12345"]["status"] == "graded" and cells(rows_["12345"], LAB) == full
    assert float(rows_["12345"]["score"]) == float(rows_["12345"]["max_score"]) == sum(full.values())
    assert rows_["2001"]["status"] == "graded" and set(cells(rows_["2001"], LAB).values()) == {0}
    expected = {gid: 0 if gid in graded["spec"]["fails"] else p for gid, p in full.items()}
    assert cells(rows_["2002"], LAB) == expected == cells(rows_["rep1"], LAB) and rows_["2002"]["lab"] == LAB


@needs_root
@slow
def test_colab_edited_notebook_is_repaired_and_graded(graded):
    row = graded["rows"]["dave"]
    assert row["status"] == "graded" and row["notes"].startswith("repaired: "), row
    assert cells(row, LAB) == max_points(LAB)


@needs_root
@slow
def test_bad_input_gets_a_clear_status(graded):
    rows_ = graded["rows"]
    for student in ("empty", "garbage", "v3", "other"):
        assert rows_[student]["status"] == "invalid notebook", (student, rows_[student])
        assert float(rows_[student]["score"]) == 0
    assert rows_["empty"]["notes"] == "empty file"
    assert "looks like" in rows_["other"]["notes"]
    assert rows_["3003"]["status"] == "missing notebook"
    assert rows_["bomb"]["status"] == "invalid notebook" and "larger than 20 MB" in rows_["bomb"]["notes"]
    assert rows_["erin"]["notes"].startswith("duplicate id: graded b/erin.ipynb, ignored a/erin.ipynb")
    assert cells(rows_["erin"], LAB) == max_points(LAB)
    out = graded["proc"].stdout
    for skipped in ("skipped readme.txt: not a notebook", "skipped ../../escape.ipynb: an unsafe path",
                    "skipped __MACOSX/._dave.ipynb"):
        assert skipped in out, out


@needs_root
@slow
def test_results_record_what_the_lms_export_needs(graded):
    result = json.loads((graded["out"] / "results" / "12345.json").read_text())
    assert result["lms"] == {"system": "canvas", "late": True, "name": "smithalice", "submission_id": "67890"}
    assert result["time_source"] == "zip" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d",
                                                       result["submitted_at"])


@needs_root
@slow
def test_feedback_never_shows_hidden_tests_or_solutions(graded):
    folder = graded["out"] / "feedback"
    assert {p.stem for p in folder.glob("*.html")} == set(graded["rows"])
    for page in folder.glob("*.html"):
        assert_no_secret(feedback(graded["out"], page.stem), LAB, page.name)


@needs_root
@slow
def test_feedback_says_why_and_which_protections_applied(graded):
    blank = feedback(graded["out"], "2001")
    assert "Your code raised NotImplementedError" in blank and "failed" in blank and "0 / 15" in blank
    assert "_w, _b = OR_PARAMS" in blank  # the visible check's line that failed
    assert "bubblewrap" in blank and "cgroup" in blank
    mutant = feedback(graded["out"], "2002")
    assert "on the rows (-1,-1), (-1,1), (1,-1), (1,1), expected deck" in mutant  # the visible check's message
    assert "passed" in mutant and "failed" in mutant


@needs_root
@slow
def test_summary_csv_and_plot(graded):
    out = graded["out"]
    summary = list(csv.DictReader(open(out / "summary.csv")))
    assert [r["grade_id"] for r in summary] == list(max_points(LAB)) + ["total"]
    n = len(graded["rows"])
    assert all(int(r["students"]) == n for r in summary)
    predict = next(r for r in summary if r["grade_id"] == "test_perceptron_predict")
    passing = sum(float(row["test_perceptron_predict"]) == 2 for row in graded["rows"].values())
    assert float(predict["fraction_passing"]) == pytest.approx(passing / n, abs=1e-3)
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_root
@slow
def test_results_are_in_nbgraders_gradebook(graded):
    from nbgrader.api import Gradebook

    out = graded["out"]
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for student, row in graded["rows"].items():
            nb = gb.find_submission_notebook("xor_mlp", LAB, student)
            assert {g.name: g.score for g in nb.grades} == cells(row, LAB), student
    export = course.run_nbgrader(["export", "--to", str(out / "export.csv")], out)
    exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(open(out / "export.csv"))}
    assert exported == {s: float(r["score"]) for s, r in graded["rows"].items()}, export.stdout


# ------------------------------------------------------------------------------------ resume

@needs_root
@slow
def test_rerun_grades_only_what_is_missing(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    before = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    (out / "results" / "garbage.json").unlink()          # as if interrupted before these were saved
    (out / "results" / "2001.json").unlink()
    proc = grade_cli(LAB, graded["zip"], out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming: 13 of 15 already graded" in proc.stdout
    after = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    assert set(after) == set(before)
    for name, text in before.items():
        if name not in ("garbage.json", "2001.json"):
            assert after[name] == text, f"{name} was graded again"
    assert open(out / "grades.csv").read() == open(graded["out"] / "grades.csv").read()


@needs_root
@slow
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
    for pause in (0.1, 0.3):  # impatient: Ctrl-C twice more while it stops (and exits)
        time.sleep(pause)
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "run the same command again to resume" in err, (proc.returncode, err[-3000:])
    done = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    assert len(done) == 1
    proc = subprocess.run(cmd, cwd=course.REPO, env=course.kernel_env(), capture_output=True, text=True)
    assert proc.returncode == 0 and "resuming: 1 of 2" in proc.stdout
    graded_rows = rows(out)
    assert set(graded_rows) == {"first", "second"} and all(r["status"] == "graded" for r in graded_rows.values())
    for name, text in done.items():
        assert (out / "results" / name).read_text() == text


@needs_root
@slow
def test_notebook_time_limit_costs_one_student_and_the_next_is_graded(tmp_path):
    loop = samples.answered(LAB, {"perceptron_predict": demo.LOOP})
    write(tmp_path / "src" / "a-loop.ipynb", loop)       # graded first: its notebook runs out of time ...
    write(tmp_path / "src" / "b-next.ipynb", samples.blank(LAB))  # ... and the same worker grades the next
    proc = run_cli("grade", LAB, tmp_path / "src", "--out", tmp_path / "out", "--workers", "1",
                   "--timeout", "300", "--notebook-timeout", "45")
    assert proc.returncode == 0, proc.stderr[-3000:]
    graded_rows = rows(tmp_path / "out")
    assert graded_rows["a-loop"]["status"] == "timeout" and float(graded_rows["a-loop"]["score"]) == 0
    assert graded_rows["b-next"]["status"] == "graded", graded_rows["b-next"]


@needs_root
@slow
def test_cpu_time_limit_counts_every_process(tmp_path):
    burner = samples.blank(LAB)
    burner.cells.insert(2, nbformat.v4.new_code_cell(
        "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
        "_end = time.time() + 60\nwhile time.time() < _end:\n    pass\n"))
    write(tmp_path / "src" / "burner.ipynb", burner)
    proc = grade_cli(LAB, tmp_path / "src", tmp_path / "out", "--cpu-seconds", "12", workers=1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = rows(tmp_path / "out")["burner"]
    assert row["status"] == "timeout" and "CPU-time" in row["notes"], row


@needs_root
@slow
def test_db_option_puts_the_grades_in_that_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    write(tmp_path / "src" / "alice.ipynb", samples.blank(LAB))
    db = tmp_path / "course" / "grades.sqlite"
    db.parent.mkdir()
    proc = grade_cli(LAB, tmp_path / "src", tmp_path / "out", "--db", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = rows(tmp_path / "out")["alice"]
    assert row["status"] == "graded" and not (tmp_path / "out" / "gradebook.db").exists()
    with Gradebook(f"sqlite:///{db}") as gb:
        nb = gb.find_submission_notebook("xor_mlp", LAB, "alice")
        assert {g.name: g.score for g in nb.grades} == cells(row, LAB)
    assert f"sqlite:///{db}" in (tmp_path / "out" / "nbgrader_config.py").read_text()  # export works in DIR


# ------------------------------------------------------------------------------------ fail closed

def test_grading_refuses_to_start_without_bubblewrap(tmp_path):
    write(tmp_path / "src" / "alice.ipynb", samples.blank(LAB))
    env = dict(course.kernel_env(), PATH=f"{os.path.dirname(sys.executable)}:/nonexistent")
    proc = run_cli("grade", LAB, tmp_path / "src", "--out", tmp_path / "out", env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "bubblewrap (bwrap) is not installed" in proc.stderr and "apt-get install bubblewrap" in proc.stderr
    assert not (tmp_path / "out" / "results").exists()  # nothing ran


def test_unsafe_mode_is_explicit_and_recorded(tmp_path):
    write(tmp_path / "src" / "alice.ipynb", samples.blank(LAB))
    proc = grade_cli(LAB, tmp_path / "src", tmp_path / "out", "--unsafe-no-sandbox", workers=1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = rows(tmp_path / "out")["alice"]
    assert row["status"] == "graded" and row["protections"] == "none (--unsafe-no-sandbox)"
    assert "none (--unsafe-no-sandbox)" in feedback(tmp_path / "out", "alice")


# ------------------------------------------------------------------------------------ CLI errors

def test_unknown_lab_is_an_error(tmp_path, capsys):
    assert cli.main(["grade", "00_nope", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "unknown lab '00_nope'" in capsys.readouterr().err


def test_missing_submissions_is_an_error(tmp_path, capsys):
    assert cli.main(["grade", LAB, str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "does not exist" in err


def test_a_bad_shard_is_an_error(tmp_path, capsys):
    assert cli.main(["grade", LAB, str(tmp_path), "--out", str(tmp_path / "out"), "--shard", "3/3"]) == 2
    assert "--shard '3/3'" in capsys.readouterr().err


@needs_root
@slow
def test_a_folder_without_notebooks_says_so(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.txt").write_text("no notebook here")
    proc = grade_cli(LAB, tmp_path / "src", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "skipped notes.txt: not a notebook" in proc.stdout and "no notebooks found in" in proc.stdout
    assert open(tmp_path / "out" / "grades.csv").read().splitlines()[1:] == []


# ------------------------------------------------------------------------------------ demo

@needs_root
@slow
def test_demo_grades_the_sample_class(tmp_path):
    proc = run_cli("demo", "--labs", LAB, "--out", tmp_path, "--timeout", "30", "--workers", "2")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    table = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith(LAB)}
    assert set(table) == {"correct", "blank", "partly-wrong", "crashing", "too-slow", "colab-edited"}
    assert re.search(r"15 / 15\s+graded", table["correct"])
    assert re.search(r"\b0 / 15\s+graded", table["blank"])
    assert "graded" in table["partly-wrong"] and "15 / 15" not in table["partly-wrong"]
    assert "kernel died" in table["crashing"] and "timeout" in table["too-slow"]
    assert re.search(r"15 / 15\s+graded", table["colab-edited"])
    assert (tmp_path / LAB / "grades.csv").exists() and (tmp_path / LAB / "summary.png").exists()
