"""`python -m autograder publish DIR`: the students' repository holds the labs, their data, a README
with working Colab links and licences, and nothing of the instructors' (no solution, hidden test,
test, mutant, autograder or gradebook). Publishing into a non-empty DIR replaces only what an
earlier publish wrote there.

The course is a temporary copy of solutions/ and labs/ (course.SOLUTIONS and course.LABS point at
it) whose title-cell Colab links follow the setting, so these tests hold whatever links the
committed notebooks carry; tests/test_release_cli.py checks the committed ones.
"""
import re

import pytest

from autograder import __main__ as cli
from autograder import course, publish, students
from autograder.lab import Lab

pytestmark = pytest.mark.xdist_group("publish")  # one worker publishes once for the module
EXCLUDED = {"solutions", "tests", "mutants", "autograder", "gradebook.db", "submitted", "autograded",
            "feedback", "source_with_tests", ".ipynb_checkpoints", "__pycache__"}


def copy_course(root, labs):
    """Copy LABS' masters and releases under ROOT, every Colab link pointed at the setting's repository."""
    slug, branch = students.repository()
    for lab in labs:
        for folder in ("solutions", "labs"):
            source = getattr(course, folder.upper()) / lab / course.notebook_name(lab)
            target = root / folder / lab / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(re.sub(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/",
                                     f"colab.research.google.com/github/{slug}/blob/{branch}/", source.read_text()))
    return root


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The students' repository, published once through the command line from a copy of the course."""
    root = copy_course(tmp_path_factory.mktemp("course"), course.lab_names())
    target = tmp_path_factory.mktemp("student") / "dl-labs-student"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course, "SOLUTIONS", root / "solutions")
        patch.setattr(course, "LABS", root / "labs")
        assert cli.main(["publish", str(target)]) == 0
    return target


def files_in(target):
    return {p.relative_to(target).as_posix(): p for p in sorted(target.rglob("*")) if p.is_file()}


def test_published_tree_holds_only_what_students_need(published):
    top = {p.name for p in published.iterdir()}
    assert top == {"labs", "data", "README.md", "LICENSE", "requirements.txt", publish.MANIFEST}, top
    for name in files_in(published):
        assert not EXCLUDED & set(name.split("/")), f"{name} is the instructors', not the students'"
        assert not name.endswith((".db", ".py")) or name == "data/build_mnist_subset.py", name
    labs = {name for name in files_in(published) if name.startswith("labs/")}
    assert labs == {f"labs/{lab}/{course.notebook_name(lab)}" for lab in course.lab_names()}
    assert (published / "data" / "mnist_subset.npz").read_bytes() == (course.DATA / "mnist_subset.npz").read_bytes()
    assert "CC BY-SA 3.0" in (published / "data" / "README.md").read_text()
    licence = (published / "LICENSE").read_text()
    assert "MIT License" in licence and "CC BY 4.0" in licence and "CC BY-SA 3.0" in licence
    requirements = (published / "requirements.txt").read_text()
    assert re.search(r"^tensorflow==", requirements, re.M) and "nbgrader" not in requirements
    listed = (published / publish.MANIFEST).read_text().splitlines()
    assert sorted(line for line in listed if not line.startswith("#")) == sorted(
        name for name in files_in(published) if name != publish.MANIFEST)


def test_published_tree_leaks_no_solution_or_hidden_test_line(published):
    lines = {}  # {file: its stripped lines}; a notebook's are its cells' source lines
    for name, path in files_in(published).items():
        if name.endswith(".ipynb"):
            sources = [cell.source for cell in course.read_notebook(path).cells]
        elif not name.endswith(".npz"):
            sources = [path.read_text()]
        for source in sources:
            for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in source, f"{name} holds {marker!r}"
        lines[name] = {line.strip() for source in sources for line in source.splitlines()}
    # A line that some master shows outside its solution and hidden-test regions is no secret.
    masters = [Lab.load(lab).master for lab in course.lab_names()]
    secrets = [Lab.load(lab).secret_lines() - {""} for lab in course.lab_names()]
    assert all(secrets), "every master has solution or hidden-test lines to look for"
    shown = set().union(*({line.strip() for cell in master.cells for line in cell.source.splitlines()} - secret
                          for master, secret in zip(masters, secrets)))
    for lab, secret in zip(course.lab_names(), secrets):
        for name, found in lines.items():
            leaked = (secret - shown) & found
            assert not leaked, f"{name} shows {lab}'s solution or hidden-test lines: {sorted(leaked)[:5]}"


def test_every_colab_link_resolves_to_a_notebook_in_the_tree(published):
    slug, branch = students.repository()
    links = []
    for name, path in files_in(published).items():
        if name.endswith((".md", ".ipynb")):
            text = "\n".join(cell.source for cell in course.read_notebook(path).cells) \
                if name.endswith(".ipynb") else path.read_text()  # a notebook's JSON escapes its quotes
            links += [(name, url) for url in students.URL.findall(text)]
    colab = [(name, students.COLAB.match(url)) for name, url in links if students.COLAB.match(url)]
    assert len(colab) == 2 * len(course.lab_names()), "one link per lab in the README, one in each title cell"
    for name, match in colab:
        assert match.group(1, 2) == (slug, branch), f"{name}: {match.group(0)}"
        assert match.group(3).endswith(".ipynb") and (published / match.group(3)).is_file(), \
            f"{name}: {match.group(0)} opens a notebook the tree does not hold"
    readme = (published / "README.md").read_text()
    for lab in course.lab_names():
        assert students.colab_url(lab, slug, branch) in readme, f"README.md has no Colab link for {lab}"
        notebook = course.read_notebook(published / "labs" / lab / course.notebook_name(lab))
        assert students.colab_url(lab, slug, branch) in notebook.cells[0].source, f"{lab}: title cell"
    for name, url in links:  # any other link into the students' repository names a file it holds
        link = students.course_link(url, slug.split("/")[0])
        if link and link[2] and not students.COLAB.match(url):
            assert (published / link[2]).exists(), f"{name}: {url}"


def test_readme_says_how_to_submit_and_which_runtime(published):
    readme = (published / "README.md").read_text()
    assert "## Submit" in readme and "Download .ipynb" in readme
    assert "TPU" in readme, "the README warns that Colab's TPU runtime has no TensorFlow"


@pytest.fixture
def one_lab_course(tmp_path, monkeypatch):
    lab = course.lab_names()[0]
    root = copy_course(tmp_path / "course", [lab])
    monkeypatch.setattr(course, "SOLUTIONS", root / "solutions")
    monkeypatch.setattr(course, "LABS", root / "labs")
    return lab, root


def test_publish_refuses_a_stale_lab_and_writes_nothing(one_lab_course, tmp_path, capsys):
    lab, root = one_lab_course
    notebook = root / "labs" / lab / course.notebook_name(lab)
    notebook.write_text(notebook.read_text().replace("Lab ", "Lab (edited by hand) ", 1))
    target = tmp_path / "student"
    assert cli.main(["publish", str(target)]) == 2
    err = capsys.readouterr().err
    assert "not ready to publish" in err and f"labs/{lab} is stale" in err, err
    assert not target.exists()


def test_setting_moves_every_link(one_lab_course, tmp_path, monkeypatch):
    lab, _ = one_lab_course
    config = tmp_path / "nbgrader_config.py"
    config.write_text(course.CONFIG.read_text().replace('"dl-course-labs/dl-labs-student"', '"my-uni/labs-2027"')
                      .replace('STUDENT_BRANCH = "main"', 'STUDENT_BRANCH = "spring"'))
    monkeypatch.setattr(course, "CONFIG", config)
    assert students.repository() == ("my-uni/labs-2027", "spring")
    readme = students.contents()["README.md"].decode()
    assert students.colab_url(lab, "my-uni/labs-2027", "spring") in readme and "dl-labs-student" not in readme
    problems = students.course_link_problems([lab])
    assert any(line.startswith(f"labs/{lab}/") and "dl-labs-student" in line and "my-uni/labs-2027" in line
               for line in problems), problems
    config.write_text("c = get_config()\nSTUDENT_REPOSITORY = 'no-slash'\nSTUDENT_BRANCH = 'main'\n")
    with pytest.raises(course.CourseError, match="STUDENT_REPOSITORY must be a GitHub 'owner/name'"):
        students.repository()


FILES = {"README.md": b"v1", "labs/01_a/a.ipynb": b"a", "labs/02_b/b.ipynb": b"b", "data/x.npz": b"x"}


def test_publish_refuses_a_folder_it_did_not_write(tmp_path):
    target = tmp_path / "student"
    (target / "notes").mkdir(parents=True)
    (target / "todo.txt").write_text("mine")
    with pytest.raises(course.CourseError, match=r"not empty .* holds notes, todo\.txt"):
        publish.write(target, FILES)
    assert sorted(p.name for p in target.iterdir()) == ["notes", "todo.txt"]


def test_republish_replaces_exactly_what_it_wrote(tmp_path):
    target = tmp_path / "clone"
    (target / ".git").mkdir(parents=True)  # a fresh clone may be published into
    publish.write(target, FILES)
    assert files_in(target).keys() == set(FILES) | {publish.MANIFEST}
    (target / ".github").mkdir()
    (target / ".github" / "ci.yml").write_text("kept")  # the repository's own files stay
    (target / "README.md").write_text("edited by hand")  # publish's own files are rewritten
    newer = {"README.md": b"v2", "labs/01_a/a.ipynb": b"a2", "data/x.npz": b"x"}
    publish.write(target, newer)
    assert {name: path.read_bytes() for name, path in files_in(target).items()
            if name != publish.MANIFEST and not name.startswith(".github")} == newer
    assert not (target / "labs" / "02_b").exists(), "a lab removed from the course is removed from the tree"
    assert (target / ".github" / "ci.yml").read_text() == "kept" and (target / ".git").is_dir()


def test_publish_refuses_to_overwrite_a_file_it_did_not_write(tmp_path):
    target = tmp_path / "student"
    publish.write(target, {"README.md": b"v1"})
    (target / "LICENSE").write_text("the repository's own licence")
    with pytest.raises(course.CourseError, match="already holds LICENSE, which no earlier publish wrote"):
        publish.write(target, {"README.md": b"v2", "LICENSE": b"ours"})
    assert (target / "LICENSE").read_text() == "the repository's own licence"
    assert (target / "README.md").read_bytes() == b"v1", "a refused publish changes nothing"


def test_publish_removes_nothing_outside_its_folder(tmp_path):
    target = tmp_path / "student"
    publish.write(target, {"README.md": b"v1"})
    (tmp_path / "precious.txt").write_text("keep")
    (target / publish.MANIFEST).write_text("README.md\n../precious.txt\n")
    with pytest.raises(course.CourseError, match="outside"):
        publish.write(target, {"README.md": b"v2"})
    assert (tmp_path / "precious.txt").exists()


def test_publish_refuses_a_folder_inside_the_course(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "LABS", tmp_path / "labs")
    with pytest.raises(course.CourseError, match="inside the course"):
        publish.write(tmp_path / "labs" / "student", FILES)
    assert not (tmp_path / "labs").exists()
