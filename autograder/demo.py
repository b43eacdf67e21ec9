"""`python -m autograder demo [--out DIR]`: release the labs and grade a sample class.

The class is made from each lab's release: a correct submission, a blank one, and a partly wrong
one (the lab's first mutant). Scores are printed per student and per lab.
"""
from pathlib import Path

from . import course, release, samples


def configure(parser):
    parser.add_argument("--out", type=Path, default=course.REPO / "out" / "demo",
                        help="where the demo course goes (default: out/demo)")
    parser.add_argument("--labs", nargs="*", metavar="LAB", help="labs to grade (default: all)")


def sample_class(lab):
    """{student id: notebook} for LAB's sample class."""
    students = {"correct": samples.answered(lab), "blank": samples.blank(lab)}
    mutants = samples.load_mutants(lab)
    if mutants:
        name = next(iter(mutants))
        students[f"partly-wrong"] = samples.mutant(lab, name)
    return students


def run(args):
    labs = args.labs or course.lab_names()
    stale = release.release(labs)
    print(f"released {len(labs)} lab(s) into labs/ ({len(stale)} updated)")
    root = course.new_course(args.out, labs)
    for lab in labs:
        for student, nb in sample_class(lab).items():
            course.submit(root, lab, student, nb)
        course.autograde(root, lab)
        maximum = sum(cell.metadata.nbgrader["points"]
                      for cell in course.nbgrader_cells(samples.blank(lab), "tests").values())
        for student, cells in sorted(course.scores(root, lab).items()):
            print(f"{lab:24} {student:14} {sum(cells.values()):5.1f} / {maximum:g}")
    print(f"gradebook and autograded notebooks: {root}")
    return 0
