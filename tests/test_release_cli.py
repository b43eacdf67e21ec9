"""`python -m autograder release`: --check notices a stale or orphaned labs/, errors name the problem."""
import shutil

from autograder import __main__ as cli
from autograder import course


def test_check_passes_on_the_committed_release(capsys):
    assert cli.main(["release", "--check", course.lab_names()[0]]) == 0


def test_check_fails_when_a_lab_is_stale_or_orphaned(tmp_path, monkeypatch, capsys):
    lab = course.lab_names()[0]
    labs = tmp_path / "labs"
    shutil.copytree(course.LABS / lab, labs / lab)
    (labs / "99_removed").mkdir()
    notebook = labs / lab / course.notebook_name(lab)
    notebook.write_text(notebook.read_text().replace("Lab ", "Lab (edited by hand) ", 1))
    monkeypatch.setattr(course, "LABS", labs)
    assert cli.main(["release", "--check", lab]) == 1
    out = capsys.readouterr().out
    assert f"labs/{lab} is stale" in out and "labs/99_removed has no master" in out
    assert cli.main(["release", lab]) == 0  # regenerates the hand-edited lab ...
    assert cli.main(["release", "--check", lab]) == 1  # ... leaving only the orphan
    assert "stale" not in capsys.readouterr().out


def test_unknown_lab_is_a_clear_error(capsys):
    assert cli.main(["release", "--check", "00_nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown lab '00_nope'" in err and course.lab_names()[0] in err
