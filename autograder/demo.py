"""`python -m autograder demo [--out DIR]`: release the labs and grade a sample class end to end.

For every lab the class has a correct submission, a blank one (the release as handed out) and a
partly wrong one (answers from the lab's first mutant in tests/mutants/). The first lab's class
also has the hard cases: a notebook whose first answer crashes the kernel (a segfault: the kernel
is restarted and the other exercises are still graded), one whose first answer never finishes (an
infinite loop: stopped at the cell's time limit, the rest graded) and one that went through Colab
(Colab metadata, a test cell's nbgrader metadata stripped, a read-only cell deleted, cells
reordered): it is repaired and graded. Each lab is graded with `grade` (checks outside the
student's process, every notebook in its sandbox), and a score table is printed.
DIR/<lab>/ holds each lab's sample submissions and its grades.csv, feedback/ and summary.
"""
import copy
import sys
from pathlib import Path

from . import course, release, samples
from .grading import orchestrate, reports

CRASH = "import ctypes\nctypes.string_at(0)  # reads address 0: a segfault\n"
LOOP = "while True:  # never finishes\n    pass\n"


def configure(parser):
    parser.add_argument("--out", type=Path, default=course.REPO / "out" / "demo",
                        help="where the sample classes and their grades go (default: out/demo)")
    parser.add_argument("--labs", nargs="*", metavar="LAB", help="labs to grade (default: all)")
    parser.add_argument("--workers", type=int, default=orchestrate.default_workers(),
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--timeout", type=int, default=30, metavar="SECONDS",
                        help="per-cell time limit for the demo (default 30: the slow student waits this long)")


def colab_edited(lab):
    """A correct notebook as Colab might return it: metadata changed, a test cell stripped, cells moved."""
    nb = samples.answered(lab)
    nb.metadata = {"colab": {"provenance": [], "name": "lab.ipynb"}, "kernelspec": {"name": "python3",
                   "display_name": "Python 3"}, "language_info": {"name": "python"}, "accelerator": "GPU"}
    for cell in nb.cells:
        cell.metadata["id"] = f"cell{abs(hash(cell.source)) % 10**8}"
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    del tests[0].metadata["nbgrader"]  # Colab's "copy cell" drops nbgrader's metadata
    locked = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    del nb.cells[locked[-1]]  # a deleted (locked) markdown cell
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    i = answers[0]
    nb.cells[i - 1], nb.cells[i] = nb.cells[i], nb.cells[i - 1]  # an answer moved above its heading
    return nb


def sample_class(lab, hard_cases):
    """{student id: notebook} for LAB's sample class."""
    students = {"correct": samples.answered(lab), "blank": samples.blank(lab)}
    mutants = samples.load_mutants(lab)
    if mutants:
        students["partly-wrong"] = samples.mutant(lab, next(iter(mutants)))
    if hard_cases:
        first = next(iter(course.nbgrader_cells(samples.blank(lab), "solution")))
        students["crashing"] = samples.answered(lab, {first: CRASH})
        students["too-slow"] = samples.answered(lab, {first: LOOP})
        students["colab-edited"] = colab_edited(lab)
    return students


def run(args):
    import nbformat

    labs = args.labs or course.lab_names()
    for lab in labs:
        course.notebook_name(lab)
    stale = release.release(labs)
    print(f"released {len(labs)} lab(s) into labs/ ({len(stale)} updated)")
    table = {}
    for n, lab in enumerate(labs):
        folder = Path(args.out) / lab / "submissions"
        folder.mkdir(parents=True, exist_ok=True)
        for student, nb in sample_class(lab, hard_cases=(n == 0)).items():
            nbformat.write(copy.deepcopy(nb), str(folder / f"{student}.ipynb"))
        print(f"grading {lab} ...", flush=True)
        options = orchestrate.Options(workers=args.workers, cell_timeout=args.timeout,
                                      notebook_timeout=6 * args.timeout + 60, memory_mb=4096)
        results = orchestrate.grade(lab, folder, Path(args.out) / lab, options, progress=sys.stderr.isatty(),
                                    log=lambda message: None)
        table[lab] = results
    students = sorted({s for results in table.values() for s in results},
                      key=lambda s: ["correct", "partly-wrong", "blank", "colab-edited", "crashing", "too-slow"].index(s)
                      if s in ["correct", "partly-wrong", "blank", "colab-edited", "crashing", "too-slow"] else 99)
    print()
    print(f"{'lab':22} {'student':14} {'score':>11}  status")
    for lab, results in table.items():
        for student in students:
            if student in results:
                r = results[student]
                score = f"{reports.fmt(r['score'])} / {reports.fmt(r['max_score'])}"
                print(f"{lab:22} {student:14} {score:>11}  {r['status']}")
    print(f"\ngrades.csv, feedback/ and summary.png per lab in {args.out}/<lab>/")
    return 0
