"""What grading in shards costs beyond the grading: a shard's start-up, and the merge.

    python benchmarks/shards.py [LAB] [--students 2000] [--shards 8] [--repeat 3]

Start-up: `grade LAB EMPTY --out DIR --shard 0/N --workers 1` on an empty share (a folder with no
notebook), the whole command as a job runs it: Python and the course's imports, the sandbox's probe
(a real bubblewrap sandbox), a grading worker started and stopped, and, in a fresh DIR, nbgrader's
generate_assignment of the lab's template (`cold`); `warm` re-runs it in the same DIR, as a shard
retried on its own folder does. Median of --repeat runs of each.

Merge: --students synthetic results (statuses and points varied, a feedback page and submitted and
autograded notebooks each, as `grade --shard` leaves them) spread over --shards folders by the same
hash as `grade --shard`, merged by `merge` in this process, with the time of each phase: reading
and checking the result files, copying the per-student files, nbgrader's gradebook, grades.csv and
the summary. Then the same merge again (what a re-run costs: identical outputs).
"""
import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder import course, merge  # noqa: E402
from autograder.grading import orchestrate, reports, status  # noqa: E402
from autograder.lab import Lab  # noqa: E402

STATUSES = [status.GRADED] * 17 + [status.TIMEOUT, status.INVALID, status.MEMORY]


def startup(lab, tmp, shards, repeat):
    """(cold seconds, warm seconds): medians of REPEAT runs of a shard on an empty share."""
    empty = tmp / "empty"
    empty.mkdir()
    python = str(Path(sys.prefix).resolve() / "bin" / Path(sys.executable).name)  # the venv, links resolved

    def shard(out):
        start = time.perf_counter()
        subprocess.run([python, "-m", "autograder", "grade", lab, str(empty), "--out", str(out),
                        "--shard", f"0/{shards}", "--workers", "1"], check=True, cwd=course.REPO,
                       env=course.kernel_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start

    cold = [shard(tmp / f"startup-{i}") for i in range(repeat)]
    warm = [shard(tmp / "startup-0") for _ in range(repeat)]
    return statistics.median(cold), statistics.median(warm)


def synthetic_class(lab, folders, students):
    """STUDENTS results written into FOLDERS as `grade --shard K/N` would; returns the seconds taken."""
    start = time.perf_counter()
    notebook = nbformat.writes(lab.release)
    for folder in folders:
        (folder / "logs").mkdir(parents=True)
    for i in range(students):
        sid = f"s{i:05d}"
        k = next(k for k in range(len(folders)) if orchestrate.in_shard(sid, (k, len(folders))))
        state = STATUSES[i % len(STATUSES)]
        cells = {gid: test.points if state == status.GRADED and (i + j) % 4 else 0.0
                 for j, (gid, test) in enumerate(lab.tests.items())}
        result = {"version": orchestrate.RESULT_VERSION, "student_id": sid, "lab": lab.name,
                  "lab_version": lab.version, "file": f"{sid}.ipynb", "sha256": None, "submitted_at": None,
                  "time_source": "file", "lms": {}, "max_score": lab.max_score, "cells": cells,
                  "checks": {gid: {"points": p, "outcome": "passed" if p else "failed", "message": ""}
                             for gid, p in cells.items()},
                  "notes": [] if state == status.GRADED else ["synthetic"], "status": state,
                  "protections": "synthetic", "score": sum(cells.values()), "cpu_seconds": 1.0, "seconds": 1.0}
        orchestrate.save_result(folders[k], result)
        reports.write_feedback(folders[k], lab, result)
        for kind in ("submitted", "autograded"):
            path = folders[k] / kind / sid / lab.name / lab.notebook
            path.parent.mkdir(parents=True)
            path.write_text(notebook)
    return time.perf_counter() - start


def timed_merge(lab, folders, final):
    """(total seconds, {phase: seconds}) of one in-process merge."""
    phases = {}
    targets = {"read and check results": (merge, "read_folder"),
               "copy results, feedback, notebooks": (merge, "copy_student"),
               "gradebook (nbgrader)": (merge, "write_gradebook"),
               "grades.csv": (reports, "write_grades"), "summary.csv and .png": (reports, "write_summary")}
    originals = {}
    for phase, (module, name) in targets.items():
        original = originals[phase] = getattr(module, name)

        @functools.wraps(original)
        def wrapper(*args, _original=original, _phase=phase, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                phases[_phase] = phases.get(_phase, 0.0) + time.perf_counter() - start
        setattr(module, name, wrapper)
    try:
        start = time.perf_counter()
        merge.merge(lab.name, folders, final, log=lambda line: None)
        return time.perf_counter() - start, phases
    finally:
        for phase, (module, name) in targets.items():
            setattr(module, name, originals[phase])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    labs = course.lab_names()
    parser.add_argument("lab", nargs="?", default="01_xor_mlp" if "01_xor_mlp" in labs else labs[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lab = Lab.load(args.lab)
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        tmp = Path(tmp)
        cold, warm = startup(args.lab, tmp, args.shards, args.repeat)
        print(f"start-up of one shard (grade --shard 0/{args.shards} on an empty share, median of {args.repeat}): "
              f"{cold:.1f} s in a fresh folder, {warm:.1f} s re-run in its folder")
        folders = [tmp / "class" / f"shard-{k}" for k in range(args.shards)]
        made = synthetic_class(lab, folders, args.students)
        print(f"{args.students} synthetic results in {args.shards} shard folders (written in {made:.0f} s)")
        for run in ("first merge", "same merge again"):
            total, phases = timed_merge(lab, folders, tmp / "final")
            print(f"{run}: {total:.1f} s ({1000 * total / args.students:.1f} ms per student)")
            for phase, seconds in phases.items():
                print(f"  {phase:36s} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
