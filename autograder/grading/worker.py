"""A grading worker: the trusted checker for one submission after another, TensorFlow imported once.

    python -m autograder.grading.worker [--unsafe-no-sandbox]   (started by `grade`, over stdin/stdout)

Each request is one JSON line naming a submission file, its student and the limits. The worker reads
and repairs the notebook (never executing it), runs it in a sandboxed kernel with the lab's checks
run here (autograder/grading/execute.py), writes the executed notebook (HTML sanitised) for
formgrader, and answers one JSON line: status, notes, and per graded cell its points, outcome and
the grader's message. A worker never runs student code itself and never writes a gradebook. What
its own stdout and stderr receive (TensorFlow's C++ logs) goes to the log file `grade` gave it.
"""
import json
import os
import sys
import time
import traceback
from pathlib import Path

from .. import course
from ..lab import Lab
from . import execute, repair, status
from .sandbox import Limits, Sandbox


def sanitized(nb):
    """NB with the HTML of markdown cells and outputs made inert (formgrader shows it to instructors)."""
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    return SanitizeHTML().preprocess(nb, {})[0]


def grade_one(request, sandbox):
    """Grade REQUEST's submission; the reply."""
    import nbformat

    lab = Lab.load(request["lab"])
    reply = {"status": request.get("status") or status.GRADED, "notes": [], "checks": {}, "cpu_seconds": 0.0}
    if request.get("status"):
        return reply
    try:
        nb = repair.read_submission(request["path"], lab.name)
        nb, repairs = repair.repair(nb, lab.name)
    except repair.InvalidSubmission as error:
        reply.update(status=status.INVALID, notes=[str(error)])
        return reply
    if repairs:
        reply["notes"].append("repaired: " + "; ".join(repairs))
    submitted = Path(request["submitted"])
    submitted.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(sanitized(nb), str(submitted))
    settings = request["settings"]
    run = execute.execute(
        lab, nb, sandbox,
        execute.Settings(cell_timeout=settings["cell_timeout"], notebook_timeout=settings["notebook_timeout"],
                         limits=Limits(memory_mb=settings["memory_mb"], pids=settings["pids"],
                                       cpu_cores=settings.get("cpu_cores")),
                         cpu_seconds=settings.get("cpu_seconds"), threads=settings["threads"]),
        request["kernel_name"], request["kernel_log"])
    autograded = Path(request["autograded"])
    autograded.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(sanitized(run.notebook), str(autograded))
    reply.update(status=run.status, cpu_seconds=run.cpu_seconds,
                 checks={gid: {"points": c.points, "outcome": c.outcome, "message": c.message}
                         for gid, c in run.checks.items()})
    reply["notes"] += run.notes()
    return reply


def _redirect(fd):
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # Requests and replies travel on private copies of stdin and stdout, which no kernel inherits.
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _redirect(os.dup(2))
    os.environ.update({"NBGRADER_EXECUTION": "autograde", "TF_CPP_MIN_LOG_LEVEL": "3",
                       "DL_LABS_DATA": str(course.DATA), "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"})
    import keras  # noqa: F401  (the imports this process exists to pay once)
    import matplotlib.pyplot  # noqa: F401
    import tensorflow  # noqa: F401

    sandbox = Sandbox.prepare(unsafe="--unsafe-no-sandbox" in argv)
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        start = time.monotonic()
        try:
            reply = grade_one(request, sandbox)
        except Exception:  # a bug here costs one row, not the class; the traceback goes to the log
            traceback.print_exc()
            reply = {"status": status.ERROR, "notes": ["the grader failed on this notebook (see logs/)"],
                     "checks": {}, "cpu_seconds": 0.0}
        reply["seconds"] = round(time.monotonic() - start, 2)
        sys.stderr.flush()
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
