"""Wall time of sequential `nbgrader autograde` vs `python -m autograder grade --workers 2` on one class.

    python benchmarks/grade_parallel.py [LAB] [--students 8] [--workers 2]

LAB defaults to 05_dropout_batchnorm when it exists, else the first lab. The class has 8
submissions made from the lab's release (correct, blank and mutants, cycled). Sequential: plain
`nbgrader autograde LAB` of all of them in one throw-away course (nbgrader's own one-at-a-time
loop, without sandbox or limits). Parallel: `grade` with --workers on the same notebooks, from a
fresh output folder (its one-off template generation included). Prints both times and the ratio;
the issue's target is >= 1.8x on 2 cores for lab 05. Timings on a shared machine are noisy.
"""
import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder import course, samples  # noqa: E402


def sample_class(lab, n):
    pool = [samples.answered(lab), samples.blank(lab)] + [samples.mutant(lab, m) for m in samples.load_mutants(lab)]
    return {f"student{i + 1:02d}": pool[i % len(pool)] for i in range(n)}


def main(argv=None):
    labs = course.lab_names()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lab", nargs="?", default="05_dropout_batchnorm" if "05_dropout_batchnorm" in labs else labs[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    students = sample_class(args.lab, args.students)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        root = course.new_course(tmp / "sequential", [args.lab])
        folder = tmp / "submissions"
        folder.mkdir()
        for student, nb in students.items():
            course.submit(root, args.lab, student, nb)
            nbformat.write(nb, str(folder / f"{student}.ipynb"))
        start = time.perf_counter()
        course.autograde(root, args.lab)
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "grade", args.lab, str(folder), "--out", str(tmp / "out"),
                        "--workers", str(args.workers)], check=True, cwd=course.REPO, env=course.kernel_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        parallel = time.perf_counter() - start
        with open(tmp / "out" / "grades.csv") as f:
            rows = list(csv.DictReader(f))
        reference = course.scores(root, args.lab)
        same = all({gid: float(row[gid]) for gid in reference[row["student_id"]]} == reference[row["student_id"]]
                   for row in rows) and len(rows) == len(reference)
    print(f"lab {args.lab}, {args.students} submissions")
    print(f"sequential nbgrader autograde: {sequential:7.1f} s")
    print(f"grade --workers {args.workers}:          {parallel:7.1f} s")
    print(f"same scores as nbgrader: {'yes' if same else 'NO'}")
    print(f"speed-up: {sequential / parallel:.2f}x (target >= 1.8x on 2 cores for lab 05)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
