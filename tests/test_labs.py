"""The harness every lab in solutions/ passes, found by folder: no registration.

For each lab: the master has no outputs and passes its own tests; the release is fresh, leaks no
solution or hidden test, and fails every graded cell cleanly; real `nbgrader autograde` gives a
correct submission full marks, a blank one zero, and each mutant (tests/mutants/<lab>.py) loses
exactly the cells it declares.
"""

import pytest

from autograder import course, release, samples

LABS = course.lab_names()


def per_lab(values, key=lambda value: value):
    """Parametrize VALUES so that one lab's tests share an xdist worker (and its autograde run)."""
    return [pytest.param(v, marks=pytest.mark.xdist_group(key(v)), id=str(v) if isinstance(v, str) else "-".join(v))
            for v in values]


MUTANTS = [(lab, name) for lab in LABS for name in samples.load_mutants(lab)]


def master(lab):
    return course.read_notebook(course.SOLUTIONS / lab / course.notebook_name(lab))


def max_points(lab):
    return {gid: cell.metadata.nbgrader["points"] for gid, cell in course.nbgrader_cells(master(lab), "tests").items()}


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_master_has_no_outputs(lab):
    for cell in master(lab).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{lab}: outputs committed in:\n{cell.source[:200]}"


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_master_is_well_formed(lab):
    """Every answer cell is tested, every test cell is worth points, ids are descriptive."""
    nb = master(lab)
    tests = course.nbgrader_cells(nb, "tests")
    assert tests, f"{lab}: no graded test cells"
    for gid, cell in tests.items():
        assert cell.metadata.nbgrader["points"] > 0, f"{lab}/{gid}: a graded cell worth no points"
        assert cell.source.lstrip().startswith('"""'), f"{lab}/{gid}: a test cell opens with a docstring"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{lab}/{gid}: no hidden tests"
    for gid, cell in course.nbgrader_cells(nb, "solution").items():
        assert "### BEGIN SOLUTION" in cell.source, f"{lab}/{gid}: answer cell without a solution region"
    assert "setup" in {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}, f"{lab}: no setup cell"


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_release_is_fresh(lab):
    assert release.release([lab], check=True) == [], f"labs/{lab} is stale: run `python -m autograder release {lab}`"


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_release_leaks_no_solution_or_hidden_test(lab):
    released = samples.blank(lab)
    text = "\n".join(cell.source for cell in released.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"labs/{lab} contains {marker!r}"
    released_lines = {line.strip() for line in text.splitlines()}
    telling = {line for line in course.secret_lines(master(lab)) if len(line) >= 25}
    leaked = telling & released_lines
    assert not leaked, f"labs/{lab} shows solution or hidden-test lines: {sorted(leaked)[:5]}"


def validate(path, invert=False):
    proc = course.run_nbgrader(["validate", str(path)] + (["--invert"] if invert else []), course.REPO, check=False)
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_master_passes_its_tests(lab):
    out = validate(course.SOLUTIONS / lab / course.notebook_name(lab))
    assert "Success! Your notebook passes all the tests." in out, out[-4000:]


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_release_fails_every_graded_cell(lab):
    out = validate(course.LABS / lab / course.notebook_name(lab), invert=True)
    assert "Success! The notebook does not pass any tests." in out, out[-4000:]


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """graded(lab) -> {student: {test cell: points}} from one real autograde of the lab's sample class."""
    cache = {}

    def grade(lab):
        if lab not in cache:
            root = course.new_course(tmp_path_factory.mktemp(lab), [lab])
            course.submit(root, lab, "correct", samples.answered(lab))
            course.submit(root, lab, "blank", samples.blank(lab))
            for name in samples.load_mutants(lab):
                course.submit(root, lab, f"mutant-{name}", samples.mutant(lab, name))
            course.autograde(root, lab)
            cache[lab] = course.scores(root, lab)
        return cache[lab]

    return grade


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_correct_submission_gets_full_marks(lab, graded):
    assert graded(lab)["correct"] == max_points(lab)


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_blank_submission_gets_zero(lab, graded):
    assert graded(lab)["blank"] == {gid: 0 for gid in max_points(lab)}


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_every_graded_cell_has_a_mutant(lab):
    mutants = samples.load_mutants(lab)
    answers = set(course.nbgrader_cells(master(lab), "solution"))
    for name, spec in mutants.items():
        assert spec["cell"] in answers, f"{lab}/{name}: {spec['cell']!r} is not an answer cell"
        assert set(spec["fails"]) <= set(max_points(lab)), f"{lab}/{name}: unknown test cells in fails"
        assert spec["fails"], f"{lab}/{name}: a mutant must fail something"
    caught = {gid for spec in mutants.values() for gid in spec["fails"]}
    assert caught == set(max_points(lab)), f"{lab}: no mutant fails {sorted(set(max_points(lab)) - caught)}"


@pytest.mark.parametrize("lab_mutant", per_lab(MUTANTS, key=lambda v: v[0]))
def test_mutant_loses_exactly_its_cells(lab_mutant, graded):
    lab, name = lab_mutant
    spec = samples.load_mutants(lab)[name]
    expected = {gid: 0 if gid in spec["fails"] else points for gid, points in max_points(lab).items()}
    assert graded(lab)[f"mutant-{name}"] == expected
