"""`python -m autograder release`: --check notices a stale or orphaned labs/ and links that disagree
with the students' repository (nbgrader_config.py); errors name the problem."""
import re
import shutil

import pytest

from autograder import __main__ as cli
from autograder import course, students


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


SLUG, BRANCH = "dl-course-labs/dl-labs-student", "main"
PUBLISHED = {"labs/01_xor_mlp/xor_mlp.ipynb", "data/mnist_subset.npz", "data/README.md", "README.md"}


def test_check_names_a_title_link_that_disagrees_with_the_setting(tmp_path, monkeypatch, capsys):
    lab = course.lab_names()[0]
    slug, branch = students.repository()
    right = students.colab_url(lab, slug, branch)
    wrong = students.colab_url(lab, "someone/else", branch)
    for folder in ("solutions", "labs"):  # master and release agree, so the lab is not stale
        source = getattr(course, folder.upper()) / lab / course.notebook_name(lab)
        target = tmp_path / folder / lab / source.name
        target.parent.mkdir(parents=True)
        text = re.sub(r"https://colab\.research\.google\.com/github/[^)\s\"]+", wrong, source.read_text(), count=1)
        target.write_text(text)
    monkeypatch.setattr(course, "SOLUTIONS", tmp_path / "solutions")
    monkeypatch.setattr(course, "LABS", tmp_path / "labs")
    assert cli.main(["release", "--check", lab]) == 1
    out = capsys.readouterr().out
    assert "stale" not in out, out
    for folder in ("solutions", "labs"):
        line = next(line for line in out.splitlines() if line.startswith(f"{folder}/{lab}/"))
        assert wrong in line and right in line, line


def test_title_cell_must_link_its_own_lab():
    lab = course.lab_names()[0]
    right = students.colab_url(lab, SLUG, BRANCH)
    assert students.link_problems(f"# Lab\n[![Open]({right})]", "t.ipynb", PUBLISHED, (SLUG, BRANCH), lab) == []
    other = right.replace(f"labs/{lab}/", "labs/05_dropout_batchnorm/")
    [line] = students.link_problems(f"[![Open]({other})]", "t.ipynb", PUBLISHED, (SLUG, BRANCH), lab)
    assert other in line and right in line
    [line] = students.link_problems("# Lab 01 without a badge", "t.ipynb", PUBLISHED, (SLUG, BRANCH), lab)
    assert "no Open-in-Colab link" in line and right in line


@pytest.mark.parametrize("url, problem", [
    (f"https://raw.githubusercontent.com/{SLUG}/{BRANCH}/data/mnist_subset.npz", None),
    (f"https://github.com/{SLUG}", None),
    (f"https://github.com/{SLUG}/blob/{BRANCH}/data/README.md", None),
    ("https://github.com/keras-team/keras/blob/master/README.md", None),  # not the course's
    ("https://github.com/cazala/mnist", None),
    ("https://raw.githubusercontent.com/dl-course-labs/dl-labs/main/data/mnist_subset.npz", "is not in"),
    (f"https://raw.githubusercontent.com/{SLUG}/dev/data/mnist_subset.npz", "is not in"),
    ("https://github.com/my-uni/private/tree/main/labs", "is not in"),  # a course folder, elsewhere
    (f"https://github.com/{SLUG}/blob/{BRANCH}/solutions/01_xor_mlp/xor_mlp.ipynb", "does not hold"),
    (f"https://colab.research.google.com/github/{SLUG}/blob/{BRANCH}/labs/09_gone/gone.ipynb", "does not hold"),
    (f"https://colab.research.google.com/github/other/repo/blob/{BRANCH}/labs/01_xor_mlp/xor_mlp.ipynb", "is not in"),
])
def test_check_knows_which_links_point_into_the_course(url, problem):
    text = f'see [this]({url}). path = keras.utils.get_file(origin="{url}")'
    problems = students.link_problems(text, "lab.ipynb", PUBLISHED, (SLUG, BRANCH))
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 2 and all(problem in line and url in line for line in problems), problems
