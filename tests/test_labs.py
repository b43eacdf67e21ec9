"""The harness every lab in solutions/ passes, found by folder: no registration.

For each lab: the master has no outputs, follows the lab skeleton, and its checks use trusted names
only (what locked cells and answer cells define); the release is fresh and leaks no solution or
hidden test. Its sample class (a correct submission, a blank one and every mutant in
tests/mutants/<lab>.py) is graded twice: by plain in-kernel `nbgrader autograde` and by the
grader's split executor (`grade`). The correct one gets full marks, the blank one zero, each mutant
loses exactly the cells it declares, and the two graders agree on every cell of every student.
(The Colab-stack check, .ci/colab_stack.py, also runs `nbgrader validate` on every master and
`validate --invert` on every blank release in Colab's versions.)
"""
import ast
import builtins

import pytest

from autograder import course, release, samples
from autograder.grading import orchestrate
from autograder.lab import Lab, defined_names, read_names
from tests.conftest import write

LABS = course.lab_names()
MUTANTS = [(lab, name) for lab in LABS for name in samples.load_mutants(lab)]


def per_lab(values, key=lambda value: value, slow=False):
    """Parametrize VALUES so that one lab's tests share an xdist worker (and its grading runs)."""
    marks = [pytest.mark.slow] if slow else []
    return [pytest.param(v, marks=[pytest.mark.xdist_group(key(v))] + marks,
                         id=str(v) if isinstance(v, str) else "-".join(v)) for v in values]


def max_points(lab):
    return {gid: test.points for gid, test in Lab.load(lab).tests.items()}


def kind(cell):
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("solution"):
        return "answer"
    return "locked" if meta.get("locked") else "free"


# ------------------------------------------------------------------------------------------ the master

@pytest.mark.parametrize("lab", per_lab(LABS))
def test_master_has_no_outputs_and_is_stored_as_jupyter_writes_it(lab):
    import nbformat

    path = course.SOLUTIONS / lab / course.notebook_name(lab)
    nb = Lab.load(lab).master
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{lab}: outputs committed in:\n{cell.source[:200]}"
    assert nbformat.writes(nb) + "\n" == path.read_text(), f"{lab}: re-save the master with Jupyter (or nbformat.write)"


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_master_is_well_formed(lab):
    """Every answer cell is tested, every test cell is worth points and opens with a docstring."""
    model = Lab.load(lab)
    assert model.tests, f"{lab}: no graded test cells"
    for gid, test in model.tests.items():
        assert test.points > 0, f"{lab}/{gid}: a graded cell worth no points"
        assert test.source.lstrip().startswith('"""'), f"{lab}/{gid}: a test cell opens with a docstring"
        assert test.hidden_from <= len(test.source.splitlines()), f"{lab}/{gid}: no hidden tests"
    for cell in model.master.cells:
        if kind(cell) == "answer" and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source, f"{lab}: answer cell without a solution region"
    assert "setup" in model.locked, f"{lab}: no setup cell"


def test_every_lab_has_the_same_setup_cell():
    setups = {lab: Lab.load(lab).locked["setup"] for lab in LABS}
    first = next(iter(setups.values()))
    assert all(source == first for source in setups.values()), \
        f"setup cells differ: {[lab for lab, source in setups.items() if source != first]}"


TEMPLATE = course.REPO / "autograder" / "lab_template" / "topic.ipynb"


def model(lab):
    """The Lab of a lab name, or of the template master."""
    return Lab.from_master(TEMPLATE) if lab == "template" else Lab.load(lab)


@pytest.mark.parametrize("lab", per_lab(LABS + ["template"]))
def test_master_follows_the_lab_skeleton(lab):
    """Title, setup, then each exercise as heading -> answer(s) -> its checks; closing sections."""
    cells = model(lab).master.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# Lab "), f"{lab}: cell 0 is the title"
    assert "colab.research.google.com" in cells[0].source, f"{lab}: the title cell has an Open-in-Colab badge"
    assert cells[1].metadata.get("nbgrader", {}).get("grade_id") == "setup", f"{lab}: cell 1 is the setup cell"
    assert cells[1].source == Lab.load(LABS[0]).locked["setup"], f"{lab}: the setup cell is every lab's"
    for i, cell in enumerate(cells):
        where = f"{lab}, cell {i}: {cell.source[:60]!r}"
        if kind(cell) == "answer" and cell.cell_type == "code":
            before = cells[i - 1]
            assert kind(before) == "answer" or before.cell_type == "markdown" and any(
                line.startswith("### Exercise") for line in before.source.splitlines()), \
                f"{where}: an answer follows the markdown cell with its '### Exercise' heading"
            assert i + 1 < len(cells) and kind(cells[i + 1]) in ("answer", "test"), \
                f"{where}: its checks come right after it"
        if kind(cell) == "test":
            assert kind(cells[i - 1]) in ("answer", "test"), f"{where}: a check comes right after its answer"
    headings = [cell.source.splitlines()[0] for cell in cells if cell.cell_type == "markdown" and cell.source]
    for section in ("## Where this lab differs from the slides", "## Summary"):
        assert any(h.startswith(section) for h in headings), f"{lab}: no '{section}' section"


@pytest.mark.parametrize("lab", per_lab(LABS + ["template"]))
def test_checks_use_trusted_names_only(lab):
    """Checks and locked cells read only what locked cells, answer cells or they themselves define.

    The checker runs them in its own process against the student's answers: a variable an ungraded
    cell of the student's notebook computed does not exist there (and could not be trusted)."""
    lab_model = model(lab)
    trusted = set(dir(builtins)) | lab_model.answer_names
    for cell in lab_model.master.cells:
        if cell.cell_type != "code":
            continue
        if kind(cell) in ("locked", "test"):
            outside = read_names(cell.source) - trusted
            assert not outside, f"{lab}/{cell.metadata.nbgrader['grade_id']} reads {sorted(outside)}, which no " \
                                f"locked or answer cell defines: lock the cell that defines it, or compute it in the check"
        if kind(cell) == "locked":
            trusted |= defined_names(cell.source) | read_imports(cell.source)


def read_imports(source):
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


@pytest.mark.parametrize("lab", per_lab(LABS + ["template"]))
def test_hidden_assertions_name_the_property_they_check(lab):
    """Feedback may show a hidden assertion's message, so it must be a constant string (no values)."""
    for gid, test in model(lab).tests.items():
        lines = test.source.splitlines()
        for node in ast.walk(ast.parse(test.source)):
            if getattr(node, "lineno", 0) < test.hidden_from:
                continue
            if isinstance(node, ast.Assert):
                assert node.lineno in test.messages, \
                    f"{lab}/{gid} line {node.lineno}: a hidden assert without a constant message: {lines[node.lineno - 1].strip()}"
            if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("np.testing.assert"):
                assert node.lineno in test.messages, \
                    f"{lab}/{gid} line {node.lineno}: a hidden np.testing check without a constant err_msg"


# ------------------------------------------------------------------------------------------ the release

@pytest.mark.parametrize("lab", per_lab(LABS))
def test_release_is_fresh(lab):
    assert release.release([lab], check=True) == [], f"labs/{lab} is stale: run `python -m autograder release {lab}`"


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_release_leaks_no_solution_or_hidden_test(lab):
    text = "\n".join(cell.source for cell in samples.blank(lab).cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"labs/{lab} contains {marker!r}"
    released_lines = {line.strip() for line in text.splitlines()}
    telling = {line for line in Lab.load(lab).secret_lines() if len(line) >= 25}
    leaked = telling & released_lines
    assert not leaked, f"labs/{lab} shows solution or hidden-test lines: {sorted(leaked)[:5]}"


# ------------------------------------------------------------------------------------------ grading

def mutant_groups(lab, size=4):
    """The lab's mutants packed into notebooks of up to SIZE, each on its own answer cell and with
    failing cells no other mutant of its notebook declares: [[mutant name, ...], ...], every mutant once.

    Plain nbgrader is slow per notebook; it grades these combined notebooks (beside the correct and
    the blank one), the split executor grades them too, and the two must agree cell by cell. Each
    mutant alone is graded by the split executor (test_mutant_loses_exactly_its_cells)."""
    groups = []
    for name, spec in samples.load_mutants(lab).items():
        for group in groups:
            if len(group["names"]) < size and spec["cell"] not in group["cells"] \
                    and not set(spec["fails"]) & group["fails"]:
                break
        else:
            group = {"names": [], "cells": set(), "fails": set()}
            groups.append(group)
        group["names"].append(name)
        group["cells"].add(spec["cell"])
        group["fails"] |= set(spec["fails"])
    return [group["names"] for group in groups]


def combined(lab, names):
    mutants = samples.load_mutants(lab)
    return samples.answered(lab, {mutants[name]["cell"]: mutants[name]["source"] for name in names})


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """graded(lab) -> {"nbgrader": scores, "grader": scores, "status": ...}, scores = {student: {cell: points}}.

    By the split executor (`grade`: tests in the checker process, the notebook in its sandbox): the
    correct and the blank submission, every mutant alone and every combined-mutant notebook. By
    plain `nbgrader autograde` (tests in the student's kernel): the correct, the blank and every
    combined-mutant notebook."""
    cache = {}

    def grade(lab):
        if lab not in cache:
            both = {"correct": samples.answered(lab), "blank": samples.blank(lab)}
            both.update({f"group-{n}": combined(lab, names) for n, names in enumerate(mutant_groups(lab))})
            alone = {f"mutant-{name}": samples.mutant(lab, name) for name in samples.load_mutants(lab)}
            root = course.new_course(tmp_path_factory.mktemp(f"{lab}-nbgrader"), [lab])
            folder = tmp_path_factory.mktemp(f"{lab}-class")
            for student, nb in both.items():
                course.submit(root, lab, student, nb)
            for student, nb in {**both, **alone}.items():
                write(folder / f"{student}.ipynb", nb)
            course.autograde(root, lab)
            options = orchestrate.Options(workers=1, cell_timeout=300, memory_mb=3000)
            results = orchestrate.grade(lab, folder, tmp_path_factory.mktemp(f"{lab}-graded"), options,
                                        progress=False, log=lambda message: None)
            cache[lab] = {"nbgrader": course.scores(root, lab),
                          "grader": {sid: r["cells"] for sid, r in results.items()},
                          "status": {sid: r["status"] for sid, r in results.items()}}
        return cache[lab]

    return grade


@pytest.mark.parametrize("lab", per_lab(LABS, slow=True))
def test_correct_submission_gets_full_marks(lab, graded):
    for grader in ("nbgrader", "grader"):
        assert graded(lab)[grader]["correct"] == max_points(lab), grader


@pytest.mark.parametrize("lab", per_lab(LABS, slow=True))
def test_blank_submission_gets_zero(lab, graded):
    for grader in ("nbgrader", "grader"):
        assert graded(lab)[grader]["blank"] == {gid: 0 for gid in max_points(lab)}, grader


@pytest.mark.parametrize("lab", per_lab(LABS, slow=True))
def test_the_grader_agrees_with_nbgrader_on_honest_work(lab, graded):
    """Equal on honest work: correct, blank and every mutant (in combined notebooks), cell by cell,
    plain nbgrader vs the split executor; and each combined notebook loses exactly its mutants' cells."""
    scores = graded(lab)
    differ = {sid: {gid: (points, scores["grader"][sid][gid]) for gid, points in cells.items()
                    if scores["grader"][sid][gid] != points}
              for sid, cells in scores["nbgrader"].items()}
    assert not any(differ.values()), {sid: d for sid, d in differ.items() if d}
    mutants = samples.load_mutants(lab)
    for n, names in enumerate(mutant_groups(lab)):
        fails = {gid for name in names for gid in mutants[name]["fails"]}
        expected = {gid: 0 if gid in fails else points for gid, points in max_points(lab).items()}
        assert scores["nbgrader"][f"group-{n}"] == expected, names
    assert set(scores["status"].values()) == {"graded"}, scores["status"]


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_every_graded_cell_has_a_mutant(lab):
    mutants = samples.load_mutants(lab)
    model = Lab.load(lab)
    for name, spec in mutants.items():
        assert spec["cell"] in model.answers, f"{lab}/{name}: {spec['cell']!r} is not an answer cell"
        assert set(spec["fails"]) <= set(model.tests), f"{lab}/{name}: unknown test cells in fails"
        assert spec["fails"], f"{lab}/{name}: a mutant must fail something"
    caught = {gid for spec in mutants.values() for gid in spec["fails"]}
    assert caught == set(model.tests), f"{lab}: no mutant fails {sorted(set(model.tests) - caught)}"


@pytest.mark.parametrize("lab_mutant", per_lab(MUTANTS, key=lambda v: v[0], slow=True))
def test_mutant_loses_exactly_its_cells(lab_mutant, graded):
    lab, name = lab_mutant
    spec = samples.load_mutants(lab)[name]
    expected = {gid: 0 if gid in spec["fails"] else points for gid, points in max_points(lab).items()}
    assert graded(lab)["grader"][f"mutant-{name}"] == expected
