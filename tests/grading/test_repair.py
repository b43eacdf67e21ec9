"""autograder.repair: reading submissions, and repairing Colab round-trips against the lab's release.

The notebooks are lab 01's real release, answered / blank / mutant (autograder.samples), transformed
the way Colab and students mangle them. Two checks run real nbgrader autograde on repaired notebooks.
"""
import copy
import json
import re
import shutil

import nbformat
import pytest
from nbgrader.utils import is_grade, is_solution

from autograder import course, samples
from autograder.grading import repair
from autograder.grading.repair import InvalidSubmission
from autograder.lab import Lab

LAB = "01_xor_mlp"


# ----------------------------------------------------------------------------------------- helpers

def release():
    return samples.blank(LAB)


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def index(nb, grade_id):
    return next(i for i, cell in enumerate(nb.cells) if gid(cell) == grade_id)


def graded_ids(nb=None):
    return [gid(c) for c in (nb or release()).cells if is_grade(c) and not is_solution(c)]


def strip_nbgrader(nb):
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
        cell.metadata.pop("deletable", None)
        cell.metadata.pop("editable", None)
    return nb


def delete_tests(nb):
    nb.cells = [cell for cell in nb.cells if not (is_grade(cell) and not is_solution(cell))]
    return nb


def colab_save(nb):
    """What a Colab download looks like: Colab metadata everywhere, nbformat_minor 0, list sources."""
    nb.metadata = {"colab": {"provenance": [], "gpuType": "T4"}, "accelerator": "GPU",
                   "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "language_info": {"name": "python"}}
    nb.nbformat_minor = 0
    for n, cell in enumerate(nb.cells):
        cell.metadata["id"] = f"c{n:07x}"
        if cell.cell_type == "code":
            cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
            cell.metadata["outputId"] = f"o{n:07x}"
            cell.metadata["executionInfo"] = {"status": "ok", "timestamp": 1700000000000 + n}
            cell.execution_count = n
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    return nb


def with_ids(nb):
    """nbformat 4.5 with cell ids, as JupyterLab 4 saves."""
    nb.nbformat_minor = 5
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{n}"
    return nb


def check_release_skeleton(repaired, answers_from):
    """REPAIRED is the release cell for cell, except answer sources, which are ANSWERS_FROM's (by grade_id)."""
    base = release()
    nbformat.validate(repaired)
    assert repaired.metadata == base.metadata
    assert (repaired.nbformat, repaired.nbformat_minor) == (base.nbformat, base.nbformat_minor)
    graded = [c for c in repaired.cells if "nbgrader" in c.metadata]
    assert [gid(c) for c in graded] == [gid(c) for c in base.cells if "nbgrader" in c.metadata]
    expected = {gid(c): c for c in answers_from.cells if is_solution(c)}
    for cell in graded:
        ref = base.cells[index(base, gid(cell))]
        assert cell.metadata == ref.metadata, gid(cell)
        if is_solution(cell):
            assert cell.source == expected[gid(cell)].source, gid(cell)
        else:
            assert cell.source == ref.source, f"{gid(cell)} is not the release's"
    for cell in repaired.cells:
        assert "id" not in cell
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# --------------------------------------------------------------------------------------- read_submission

@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"  \n\t\n", "empty file"),
    (b"not json", "invalid JSON"),
    (b'{"cells": [', "invalid JSON"),
    (b"[1, 2, 3]", "a JSON list"),
    (b'"a string"', "a JSON string"),
    (json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}).encode(),
     "nbformat 3 notebook, expected nbformat 4"),
    (json.dumps({"metadata": {}, "title": "x"}).encode(), "without nbformat"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": {}}).encode(), "no list of cells"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {},
                 "cells": [{"cell_type": "weird", "source": ""}]}).encode(), "cell 1"),
    (bytes(range(256)) * 4, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "binary"),
], ids=["empty", "blank", "not-json", "truncated", "list", "string", "nbformat3", "no-nbformat",
        "cells-not-list", "bad-cell-type", "garbage", "png"])
def test_read_submission_rejects(tmp_path, content, message):
    path = tmp_path / "student.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidSubmission) as error:
        repair.read_submission(path, LAB)
    text = str(error.value)
    assert message in text and "\n" not in text and len(text) < 120, text


def test_read_submission_missing_file(tmp_path):
    with pytest.raises(InvalidSubmission, match="unreadable"):
        repair.read_submission(tmp_path / "nobody.ipynb", LAB)


def test_read_submission_accepts_colab_and_jupyter_saves(tmp_path):
    for name, nb in (("colab", colab_save(samples.answered(LAB))), ("lab4", with_ids(samples.answered(LAB)))):
        data = json.loads(nbformat.writes(nb))  # sources as lists of lines, as Colab writes them
        assert isinstance(data["cells"][1]["source"], list)
        path = tmp_path / f"{name}.ipynb"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data).encode())  # and a BOM for good measure
        nb_read = repair.read_submission(path, LAB)
        assert [c.source for c in nb_read.cells] == [c.source for c in nb.cells]
        repaired, notes = repair.repair(nb_read, LAB)
        check_release_skeleton(repaired, samples.answered(LAB))


# -------------------------------------------------------------------------------------------- repair

def test_untouched_notebooks_get_no_notes():
    for nb in (samples.answered(LAB), release(), samples.mutant(LAB, "or_bias_zero")):
        repaired, notes = repair.repair(copy.deepcopy(nb), LAB)
        assert notes == []
        check_release_skeleton(repaired, nb)


def test_jupyterlab_ids_are_not_a_repair():
    nb = with_ids(samples.answered(LAB))
    repaired, notes = repair.repair(nb, LAB)
    assert notes == []
    check_release_skeleton(repaired, samples.answered(LAB))


def test_deleted_test_cells_are_restored():
    nb = samples.answered(LAB)
    nb.cells = [c for c in nb.cells if gid(c) not in ("test_or_params", "test_xor_from_gates")]
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes == ["restored 2 deleted test cells"]


def test_edited_test_and_readonly_cells_are_restored():
    nb = samples.blank(LAB)
    nb.cells[index(nb, "test_perceptron_predict")].source = "pass"
    nb.cells[index(nb, "test_sigmoid_xor_network")].source = "pass"
    nb.cells[index(nb, "truth_tables")].source += "\ny_xor = y_or  # make it easy"
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, release())
    assert notes == ["restored 2 edited test cells", "restored 1 edited read-only cell"]


def test_tampered_points_are_restored():
    nb = samples.answered(LAB)
    nb.cells[index(nb, "test_or_params")].metadata.nbgrader["points"] = 100
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes == ["restored nbgrader metadata of 1 cell"]


def test_stripped_metadata_answers_matched_by_content():
    nb = strip_nbgrader(samples.answered(LAB))
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    answers, graded = len(course.nbgrader_cells(release(), "solution")), sum(
        "nbgrader" in c.metadata for c in release().cells)
    assert notes == [f"matched {answers} answer cells by content", f"restored nbgrader metadata of {graded} cells"]


def test_stripped_mutant_answers_without_docstrings_are_matched():
    """Mutant sources keep no docstring and no stub line: only the names they define identify them."""
    for name in ("or_bias_zero", "xnor_gates", "deck_fit_few_epochs"):
        nb = samples.mutant(LAB, name)
        repaired, _ = repair.repair(strip_nbgrader(delete_tests(copy.deepcopy(nb))), LAB)
        check_release_skeleton(repaired, nb)


def test_stripped_blank_notebook_keeps_its_stubs():
    """Stubs that define no name (gate_params) are found by identical source."""
    nb = strip_nbgrader(release())
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, release())
    assert not any("missing" in note for note in notes)


def test_deleted_tests_and_stripped_metadata():
    nb = strip_nbgrader(delete_tests(samples.answered(LAB)))
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes[0] == f"restored {len(graded_ids())} deleted test cells"
    assert "matched 7 answer cells by content" in notes


def test_reordered_cells_go_back_in_release_order():
    nb = samples.answered(LAB)
    moved = [index(nb, "train_perceptron"), index(nb, "test_train_perceptron_xor"), index(nb, "setup")]
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in moved] + [nb.cells[i] for i in reversed(moved)]
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes == ["put cells back in the release's order"]


def test_reordered_and_stripped():
    nb = strip_nbgrader(samples.answered(LAB))
    nb.cells = nb.cells[20:] + nb.cells[:20]
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert "put cells back in the release's order" in notes


def test_colab_metadata_is_dropped():
    nb = colab_save(samples.answered(LAB))
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes == ["dropped Colab metadata"]
    assert all(not {"colab", "id", "outputId", "executionInfo"} & set(c.metadata) for c in repaired.cells)


def test_colab_everything_at_once():
    """Colab save, ids, stripped metadata, a test edited to pass, one deleted, scratch cells."""
    nb = samples.answered(LAB)
    nb.cells[index(nb, "test_xor_from_gates")].source = "pass"
    del nb.cells[index(nb, "test_build_xor_model")]
    nb.cells.insert(index(nb, "gate_params") + 1, nbformat.v4.new_code_cell("print(OR_PARAMS)"))
    nb = with_ids(colab_save(strip_nbgrader(nb)))
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes[:1] == ["restored 2 deleted test cells"]  # the `pass` cell no longer says it was one
    assert "matched 7 answer cells by content" in notes and "dropped Colab metadata" in notes
    assert "kept 2 extra cells as unlocked cells" in notes  # print(OR_PARAMS) and `pass`


def test_scratch_cells_are_kept_after_the_answer_they_follow():
    nb = samples.answered(LAB)
    helper = nbformat.v4.new_code_cell("def _helper(x):\n    return x + 1\n_helper(1)")
    note = nbformat.v4.new_markdown_cell("my notes")
    nb.cells.insert(index(nb, "perceptron_predict") + 1, helper)
    nb.cells.insert(index(nb, "test_or_params") + 1, note)
    nb.cells.insert(0, nbformat.v4.new_code_cell("!nvidia-smi"))
    nb.cells.append(nbformat.v4.new_code_cell("   \n"))  # empty: dropped
    repaired, notes = repair.repair(nb, LAB)
    assert notes == ["kept 3 extra cells as unlocked cells"]
    nbformat.validate(repaired)
    sources = [c.source for c in repaired.cells]
    assert sources[0] == "!nvidia-smi"
    assert sources[index(repaired, "perceptron_predict") + 1] == helper.source
    assert sources[index(repaired, "test_or_params") + 1] == "my notes"
    for source in ("!nvidia-smi", helper.source, "my notes"):
        cell = repaired.cells[sources.index(source)]
        assert cell.metadata == {} and "id" not in cell
    graded = copy.deepcopy(repaired)
    graded.cells = [c for c in graded.cells if c.source in {c2.source for c2 in release().cells} or is_solution(c)]
    check_release_skeleton(graded, samples.answered(LAB))


def test_duplicated_locked_cell_is_dropped_and_debug_copy_kept():
    nb = samples.answered(LAB)
    test = nb.cells[index(nb, "test_sigmoid_xor_network")]
    debug_copy = nbformat.v4.new_code_cell(test.source.replace("1e-4", "1e-1"))  # a student's debugging copy
    nb.cells.insert(index(nb, "test_sigmoid_xor_network") + 1, copy.deepcopy(test))  # Colab "copy cell"
    nb.cells.append(debug_copy)
    repaired, notes = repair.repair(nb, LAB)
    assert notes == ["dropped 1 duplicated locked cell", "kept 1 extra cell as unlocked cells"]
    assert len(repaired.cells) == len(release().cells) + 1
    assert repaired.cells[-1].source == debug_copy.source and repaired.cells[-1].metadata == {}
    repaired.cells.pop()
    check_release_skeleton(repaired, samples.answered(LAB))


def test_stripped_edited_test_cell_is_recognised_and_restored():
    nb = strip_nbgrader(samples.answered(LAB))
    cell = nb.cells[index(release(), "test_sigmoid_xor_network")]
    cell.source = cell.source.replace("atol=1e-4", "atol=0.5").replace("within 1e-4", "close")
    repaired, notes = repair.repair(nb, LAB)
    check_release_skeleton(repaired, samples.answered(LAB))
    assert notes[0] == "restored 1 edited test cell"
    assert len(repaired.cells) == len(release().cells)


def test_missing_answer_gets_the_stub():
    nb = samples.answered(LAB)
    del nb.cells[index(nb, "xor_from_gates")]
    repaired, notes = repair.repair(strip_nbgrader(nb), LAB)
    expected = samples.answered(LAB, {"xor_from_gates": release().cells[index(release(), "xor_from_gates")].source})
    check_release_skeleton(repaired, expected)
    assert "1 answer cell missing (release stub, scores zero)" in notes


def test_merged_answers_are_not_overwritten_by_a_stub():
    nb = samples.answered(LAB)
    first, second = index(nb, "perceptron_predict"), index(nb, "train_perceptron")
    nb.cells[first].source += "\n\n" + nb.cells[second].source
    del nb.cells[second]
    repaired, notes = repair.repair(strip_nbgrader(nb), LAB)
    assert "def train_perceptron" in repaired.cells[index(repaired, "perceptron_predict")].source
    assert repaired.cells[index(repaired, "train_perceptron")].source == ""
    assert "1 answer found in other cells" in notes


def test_later_redefinition_is_kept_as_extra():
    """Two stripped cells define the same answer: the one that kept the stub's docstring is the answer."""
    nb = strip_nbgrader(samples.answered(LAB))
    scratch = "def xor_from_gates(X):\n    return X[:, 0] * X[:, 1] * -1\n"
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(scratch))
    repaired, notes = repair.repair(nb, LAB)
    assert repaired.cells[index(repaired, "xor_from_gates")].source == \
        samples.answered(LAB).cells[index(release(), "xor_from_gates")].source
    assert [c.source for c in repaired.cells].count(scratch) == 1


# ------------------------------------------------------------------------------------ another lab's notebook

def fabricate_lab(root):
    """A copy of lab 01 as lab 99_fake whose answers, names and grade_ids are all different."""
    answers = course.nbgrader_cells(samples.blank(LAB), "solution")
    names = set(answers) | set(graded_ids())
    names |= Lab.load(LAB).answer_names
    pattern = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    for kind in ("solutions", "labs"):
        shutil.copytree(getattr(course, kind.upper()) / LAB, root / kind / LAB)
        nb = course.read_notebook(root / kind / LAB / "xor_mlp.ipynb")
        for cell in nb.cells:
            cell.source = pattern.sub(r"fake_\1", cell.source)
            if "nbgrader" in cell.metadata:
                cell.metadata.nbgrader["grade_id"] = "fake_" + cell.metadata.nbgrader["grade_id"]
        (root / kind / "99_fake").mkdir()
        nbformat.write(nb, str(root / kind / "99_fake" / "fake.ipynb"))


@pytest.fixture
def fake_course(tmp_path, monkeypatch):
    fabricate_lab(tmp_path)
    monkeypatch.setattr(course, "SOLUTIONS", tmp_path / "solutions")
    monkeypatch.setattr(course, "LABS", tmp_path / "labs")
    assert course.lab_names() == [LAB, "99_fake"]


def test_another_labs_notebook_is_rejected(fake_course):
    mine = samples.answered(LAB)
    fake = samples.answered("99_fake")
    for nb in (mine, strip_nbgrader(copy.deepcopy(mine)), colab_save(delete_tests(copy.deepcopy(mine)))):
        with pytest.raises(InvalidSubmission, match=r"^notebook for another lab: looks like 01_xor_mlp"):
            repair.repair(copy.deepcopy(nb), "99_fake")
    for nb in (fake, strip_nbgrader(copy.deepcopy(fake)), samples.blank("99_fake")):
        with pytest.raises(InvalidSubmission, match=r"^notebook for another lab: looks like 99_fake"):
            repair.repair(copy.deepcopy(nb), LAB)
    repaired, notes = repair.repair(copy.deepcopy(fake), "99_fake")
    assert notes == []


def test_notebook_of_nothing_is_rejected():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# My homework"),
                                         nbformat.v4.new_code_cell("import numpy as np\nx = np.ones(3)")])
    with pytest.raises(InvalidSubmission, match=f"none of {LAB}'s answer or test cells found"):
        repair.repair(nb, LAB)
    with pytest.raises(InvalidSubmission):
        repair.repair(nbformat.v4.new_notebook(), LAB)


OTHER_LABS = [lab for lab in course.lab_names() if lab != LAB
              and (course.LABS / lab / course.notebook_name(lab)).exists()]


@pytest.mark.skipif(not OTHER_LABS, reason="no second lab released yet (the fabricated one is tested above)")
@pytest.mark.parametrize("other", OTHER_LABS)
def test_real_other_lab_is_rejected(other):
    with pytest.raises(InvalidSubmission, match=f"looks like {LAB}"):
        repair.repair(strip_nbgrader(samples.answered(LAB)), other)
    with pytest.raises(InvalidSubmission, match=f"looks like {other}"):
        repair.repair(samples.blank(other), LAB)


# -------------------------------------------------------------------------------- end to end through nbgrader

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Repaired Colab round-trips, autograded by real nbgrader: {student: {test grade_id: points}}."""
    root = course.new_course(tmp_path_factory.mktemp("repair_course"), [LAB])
    correct = colab_save(strip_nbgrader(delete_tests(samples.answered(LAB))))
    blank = samples.blank(LAB)
    for cell in blank.cells:
        if is_grade(cell) and not is_solution(cell):
            cell.source = "pass"
    path = root / "incoming.ipynb"
    for student, nb in (("correct_stripped", correct), ("blank_pass", blank)):
        nbformat.write(nb, str(path))
        repaired, notes = repair.repair(repair.read_submission(path, LAB), LAB)
        assert notes, student
        course.submit(root, LAB, student, repaired)
    course.autograde(root, LAB)
    return course.scores(root, LAB)


def test_repaired_correct_submission_gets_full_marks(graded):
    points = {gid(c): c.metadata.nbgrader["points"] for c in release().cells if is_grade(c)}
    assert graded["correct_stripped"] == points


def test_repaired_blank_submission_with_passing_tests_gets_zero(graded):
    assert set(graded["blank_pass"]) == set(graded_ids())
    assert all(score == 0 for score in graded["blank_pass"].values()), graded["blank_pass"]
