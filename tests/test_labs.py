"""The harness every lab in solutions/ passes, found by folder: no registration.

For each lab: the master has no outputs, follows the lab skeleton, and its checks use trusted names
only (what locked cells and answer cells define); the release is fresh and leaks no solution or
hidden test. Its sample class (a correct submission, a blank one and every mutant in
tests/mutants/<lab>.py, packed into notebooks whose mutants no check sees together) is graded
twice: by plain in-kernel `nbgrader autograde` and by the grader's split executor (`grade`). The
correct one gets full marks, the blank one zero and each mutant loses exactly the cells it declares,
under each grader: so the two agree on every cell of every student. Each lab and grader is one
xdist group (the class is graded once per worker).
(The Colab-stack check, .ci/colab_stack.py, also runs `nbgrader validate` on every master and
`validate --invert` on every blank release in Colab's versions.)
"""
import ast
import builtins
import functools

import pytest

from autograder import course, release, samples
from autograder.grading import orchestrate
from autograder.lab import Lab, defined_names, read_names
from tests.conftest import write

LABS = course.lab_names()


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

@functools.cache
def checks_reaching(lab):
    """{answer grade_id: the test cells that can see it}: a test sees an answer cell when it reads a
    name the cell defines, directly or through locked and answer cells that read it (by `ast`)."""
    model = Lab.load(lab)
    sources = {cell.metadata.nbgrader["grade_id"]: cell.source for cell in model.master.cells
               if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id")}
    definers = {}
    for gid, source in sources.items():
        if gid not in model.tests:
            for name in defined_names(source):
                definers.setdefault(name, set()).add(gid)

    def seen_by(gid):
        seen, todo = set(), [gid]
        while todo:
            for name in read_names(sources[todo.pop()]):
                for definer in definers.get(name, ()):
                    if definer not in seen:
                        seen.add(definer)
                        todo.append(definer)
        return seen

    sees = {gid: seen_by(gid) for gid in model.tests}
    return {answer: {gid for gid in model.tests if answer in sees[gid]} for answer in model.answers}


@functools.cache
def mutant_groups(lab):
    """The lab's mutants packed into notebooks, every mutant once: ((mutant name, ...), ...).

    No two mutants of a notebook share a test cell that can see their answer cells
    (checks_reaching), so what a notebook loses on the cells that see a mutant's answer is that
    mutant's doing alone: each mutant is proven to lose exactly its cells at a fraction of the
    notebook runs (one kernel and one TensorFlow import per notebook, for each grader)."""
    reaching, groups = checks_reaching(lab), []
    for name, spec in samples.load_mutants(lab).items():
        seen = reaching[spec["cell"]]
        group = next((g for g in groups if not seen & g["seen"]), None)
        if group is None:
            group = {"names": [], "seen": set()}
            groups.append(group)
        group["names"].append(name)
        group["seen"] |= seen
    return tuple(tuple(group["names"]) for group in groups)


def group_of(lab, name):
    return next(f"group-{n}" for n, names in enumerate(mutant_groups(lab)) if name in names)


def combined(lab, names):
    mutants = samples.load_mutants(lab)
    return samples.answered(lab, {mutants[name]["cell"]: mutants[name]["source"] for name in names})


GRADERS = ("grader", "nbgrader")
LAB_GRADERS = [(lab, grader) for lab in LABS for grader in GRADERS]


def per_grading(values):
    """VALUES starting with (lab, grader): one xdist worker per lab and grader grades that class once."""
    return per_lab(values, key=lambda v: f"{v[0]}-{v[1]}", slow=True)


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """graded(lab, grader) -> {"cells": {student: {cell: points}}, "status": {student: status} or None}.

    The lab's sample class (the correct and the blank submission and every combined-mutant notebook)
    graded by GRADER: "grader" is the split executor (`grade`: tests in the checker process, the
    notebook in its sandbox), "nbgrader" plain `nbgrader autograde` (tests in the student's kernel).
    The tests hold both to the same expected scores, so the two agree on every cell of every student."""
    cache = {}

    def grade(lab, grader):
        if (lab, grader) not in cache:
            students = {"correct": samples.answered(lab), "blank": samples.blank(lab)}
            students.update({f"group-{n}": combined(lab, names) for n, names in enumerate(mutant_groups(lab))})
            if grader == "nbgrader":
                root = course.new_course(tmp_path_factory.mktemp(f"{lab}-nbgrader"), [lab])
                for student, nb in students.items():
                    course.submit(root, lab, student, nb)
                course.autograde(root, lab)
                cache[lab, grader] = {"cells": course.scores(root, lab), "status": None}  # nbgrader has none
            else:
                folder = tmp_path_factory.mktemp(f"{lab}-class")
                for student, nb in students.items():
                    write(folder / f"{student}.ipynb", nb)
                options = orchestrate.Options(workers=1, cell_timeout=300, memory_mb=3000)
                results = orchestrate.grade(lab, folder, tmp_path_factory.mktemp(f"{lab}-graded"), options,
                                            progress=False, log=lambda message: None)
                cache[lab, grader] = {"cells": {sid: r["cells"] for sid, r in results.items()},
                                      "status": {sid: r["status"] for sid, r in results.items()}}
        return cache[lab, grader]

    return grade


@pytest.mark.parametrize("lab_grader", per_grading(LAB_GRADERS))
def test_correct_submission_gets_full_marks(lab_grader, graded):
    lab, grader = lab_grader
    assert graded(lab, grader)["cells"]["correct"] == max_points(lab)


@pytest.mark.parametrize("lab_grader", per_grading(LAB_GRADERS))
def test_blank_submission_gets_zero(lab_grader, graded):
    lab, grader = lab_grader
    assert graded(lab, grader)["cells"]["blank"] == {gid: 0 for gid in max_points(lab)}


@pytest.mark.parametrize("lab_grader", per_grading(LAB_GRADERS))
def test_combined_notebook_loses_exactly_its_mutants_cells(lab_grader, graded):
    """Every combined-mutant notebook: graded, full points on the cells no mutant of it declares."""
    lab, grader = lab_grader
    scores, mutants, groups = graded(lab, grader), samples.load_mutants(lab), mutant_groups(lab)
    assert set(scores["cells"]) == {"correct", "blank"} | {f"group-{n}" for n in range(len(groups))}
    if scores["status"] is not None:  # the split executor's own statuses (plain nbgrader keeps none)
        assert set(scores["status"].values()) == {"graded"}, scores["status"]
    for n, names in enumerate(groups):
        fails = {gid for name in names for gid in mutants[name]["fails"]}
        expected = {gid: 0 if gid in fails else points for gid, points in max_points(lab).items()}
        assert scores["cells"][f"group-{n}"] == expected, names


@pytest.mark.parametrize("lab", per_lab(LABS))
def test_every_graded_cell_has_a_mutant(lab):
    mutants = samples.load_mutants(lab)
    model = Lab.load(lab)
    reaching = checks_reaching(lab)
    for name, spec in mutants.items():
        assert spec["cell"] in model.answers, f"{lab}/{name}: {spec['cell']!r} is not an answer cell"
        assert set(spec["fails"]) <= set(model.tests), f"{lab}/{name}: unknown test cells in fails"
        assert spec["fails"], f"{lab}/{name}: a mutant must fail something"
        assert set(spec["fails"]) <= reaching[spec["cell"]], \
            f"{lab}/{name}: fails cells that cannot see {spec['cell']!r}: {set(spec['fails']) - reaching[spec['cell']]}"
    caught = {gid for spec in mutants.values() for gid in spec["fails"]}
    assert caught == set(model.tests), f"{lab}: no mutant fails {sorted(set(model.tests) - caught)}"


def test_mutant_groups_never_share_a_check():
    """The packing behind the per-mutant proof: in every notebook, the checks that see one mutant's
    answer see no other mutant's; a dependent check (xor_from_gates calls perceptron_predict) counts."""
    for lab in LABS:
        reaching, mutants = checks_reaching(lab), samples.load_mutants(lab)
        groups = mutant_groups(lab)
        assert sorted(name for names in groups for name in names) == sorted(mutants)
        for names in groups:
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    assert not reaching[mutants[a]["cell"]] & reaching[mutants[b]["cell"]], (lab, a, b)
    reaching = checks_reaching("01_xor_mlp")
    assert "test_xor_from_gates" in reaching["perceptron_predict"]


@pytest.mark.parametrize("lab_grader_mutant", per_grading(
    [(lab, grader, name) for lab, grader in LAB_GRADERS for name in samples.load_mutants(lab)]))
def test_mutant_loses_exactly_its_cells(lab_grader_mutant, graded):
    """On the cells that can see its answer (no other mutant of its notebook reaches them), the
    mutant loses exactly the cells it declares."""
    lab, grader, name = lab_grader_mutant
    spec = samples.load_mutants(lab)[name]
    reaching = checks_reaching(lab)[spec["cell"]]
    expected = {gid: 0 if gid in spec["fails"] else points for gid, points in max_points(lab).items()
                if gid in reaching}
    scores = graded(lab, grader)["cells"][group_of(lab, name)]
    assert {gid: scores[gid] for gid in reaching} == expected
