"""`python -m autograder grade LAB SUBMISSIONS --out DIR`: grade a class in parallel, safely.

SUBMISSIONS is a folder or a .zip of notebooks (nested folders are searched); how student ids are
read from file names is in autograder/grading/intake.py:

  Canvas   <name>[_LATE]_<user id>_<submission id>_<file>.ipynb  ->  the Canvas user id
  Moodle   <Full Name>_<participant id>_assignsubmission_file_<file>.ipynb (or such a folder)  ->  the participant id
  plain    <student_id>.ipynb  ->  the file name (letters of any alphabet, digits, . _ - @)

Each notebook is repaired against the release (Colab drops nbgrader's metadata) and run in its own
sandboxed kernel (bubblewrap + cgroups: autograder/grading/sandbox.py) WITHOUT its graded test
cells; the lab's checks, hidden tests included, run in a separate trusted process that calls the
student's functions through a channel of plain data (autograder/grading/checker.py). Grading refuses
to start when a protection is missing, unless --unsafe-no-sandbox.

Writes DIR/grades.csv (student_id, lab, score, max_score, status, notes, protections, then points
per graded cell), DIR/feedback/<student_id>.html, DIR/summary.csv and DIR/summary.png, nbgrader's
gradebook (DIR/gradebook.db, or --db) with DIR/submitted and DIR/autograded so `nbgrader
formgrader` and `nbgrader export` work in DIR, and DIR/results/ (one JSON per student: a re-run of
the same command grades only what is missing). With --shard K/N only the K-th of N stable shares of
the class is graded, into results/ and feedback/ (`merge` builds the rest).

Status: graded, invalid notebook, missing notebook, timeout, memory limit, kernel died, output
limit, grading error; the notes column says why. Exit status 0 when every submission got a row; 2
when grading cannot run (unknown lab, unreadable SUBMISSIONS, a missing protection); 130 when
stopped by Ctrl-C or `kill` (what is graded is kept: the same command resumes).
"""
import signal
import sys
import threading
from pathlib import Path

from . import course
from .grading import orchestrate


def shard(text):
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise course.CourseError(f"--shard {text!r}: expected K/N, e.g. 0/4") from None
    if not 0 <= k < n:
        raise course.CourseError(f"--shard {text!r}: K must be between 0 and N - 1")
    return k, n


def configure(parser):
    parser.add_argument("lab", metavar="LAB", help="lab folder name, e.g. 01_xor_mlp")
    parser.add_argument("submissions", metavar="SUBMISSIONS", type=Path,
                        help="folder or .zip of submitted notebooks (ids read as described above)")
    parser.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="output folder (grades.csv, feedback/, summary, gradebook); re-use it to resume")
    cores = orchestrate.default_workers()
    parser.add_argument("--workers", type=int, default=cores,
                        help=f"submissions graded at once (default: the number of cores, {cores})")
    parser.add_argument("--timeout", type=int, default=300, metavar="SECONDS",
                        help="time limit per cell and per call into student code (default 300)")
    parser.add_argument("--notebook-timeout", type=int, metavar="SECONDS",
                        help="time limit per notebook (default: 3 x --timeout + 60)")
    parser.add_argument("--memory", type=int, default=4096, metavar="MB",
                        help="memory limit per student's kernel, its children included (default 4096)")
    parser.add_argument("--pids", type=int, default=512,
                        help="processes and threads per student's kernel (default 512)")
    parser.add_argument("--cpu-seconds", type=float, metavar="SECONDS",
                        help="CPU time per notebook, all its processes together (default: no limit "
                             "beyond the notebook's time limit)")
    parser.add_argument("--db", metavar="URL",
                        help="gradebook database URL, anything nbgrader accepts (default: sqlite:///DIR/gradebook.db)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every submission again, even those DIR/results already holds")
    parser.add_argument("--shard", metavar="K/N", help="grade only the K-th (from 0) of N shares of the class")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code without bubblewrap and cgroups (never for real submissions)")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_stop_signals(stop):
    """Ctrl-C and `kill` set STOP (grading stops at its next safe point and keeps what is graded).
    The handler raises nothing: an exception raised from a handler can land in any finaliser, where
    Python swallows it (seen: the run went on to the end). Later signals are ignored, so the stop
    runs to its end and a signal during interpreter exit cannot turn 130 into death by signal."""
    def request_stop(signum, frame):
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, signal.SIG_IGN)
        stop.set()

    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, request_stop)


def run(args):
    stop = threading.Event()
    on_stop_signals(stop)
    options = orchestrate.Options(workers=args.workers, cell_timeout=args.timeout,
                                  notebook_timeout=args.notebook_timeout, memory_mb=args.memory, pids=args.pids,
                                  cpu_seconds=args.cpu_seconds, db_url=args.db, regrade=args.regrade,
                                  unsafe=args.unsafe_no_sandbox, shard=shard(args.shard) if args.shard else None)
    course.notebook_name(args.lab)  # unknown lab: a clear error before any work
    try:
        results = orchestrate.grade(args.lab, args.submissions, args.out, options, stop=stop)
    except orchestrate.Stopped:  # Ctrl-C and kill only set STOP here: no KeyboardInterrupt reaches this
        print(f"interrupted: what was graded is kept in {args.out}; run the same command again to resume",
              file=sys.stderr)
        return 130
    counts = {}
    for r in results.values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    if not results:
        print(f"no notebooks found in {args.submissions}: nothing graded")
    else:
        print(f"{len(results)} students graded: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if options.shard is None:
        print(f"wrote {args.out / 'grades.csv'}, {args.out / 'feedback'}/, {args.out / 'summary.csv'}, "
              f"{args.out / 'summary.png'}")
    else:
        print(f"wrote shard {args.shard} into {args.out / 'results'}/ and {args.out / 'feedback'}/: "
              f"run `python -m autograder merge {args.lab} DIR ...` when every shard is done")
    return 0
