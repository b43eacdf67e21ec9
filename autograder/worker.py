"""A grading worker: nbgrader autograde for one submission after another, nbgrader imported once.

    python -m autograder.worker      (started by `grade`, which speaks to it over stdin and stdout)

Starting `nbgrader autograde` for each student costs a new Python process and 1-2 s of imports,
on a core the kernels need. `grade` keeps one worker per parallel slot instead.
Each request is one JSON line naming a throw-away course (its nbgrader_config.py, gradebook and the
one submission in submitted/), the student, the kernel's environment and a log file. The worker
runs nbgrader's own autograde there (NbGraderAPI.autograde: what `nbgrader autograde LAB --student
ID --force` runs) and answers one JSON line: {"success": bool, "scores": {grade_id: points} or
null}. While it grades, its stdout and stderr (which the kernel inherits) go to the log file, so
what the kernel prints outside a cell (a segfault, an allocator error) lands in that student's log.
`grade` kills a worker whose kernel runs past a time or memory limit and starts a fresh one.
"""
import json
import os
import sys
import traceback

from . import course


def autograde(request):
    """Autograde REQUEST's student in REQUEST's course; return the reply."""
    os.environ.clear()
    os.environ.update(request["env"])  # the kernel starts with this environment
    os.chdir(request["root"])
    api = course.nbgrader_api(request["root"])
    outcome = api.autograde(request["lab"], request["student"], force=True, create=True)
    print(outcome.get("log", ""), outcome.get("error", ""), sep="\n", file=sys.stderr, flush=True)
    scores = course.scores(request["root"], request["lab"], api.coursedir.db_url).get(request["student"])
    return {"success": outcome["success"], "scores": scores}


def redirect_output(fd):
    """Point this process's stdout and stderr (file descriptors 1 and 2) at the open file FD."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)


def main():
    # Requests and replies travel on private copies of stdin and stdout, which no kernel inherits.
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    own_log = os.dup(2)  # the worker's own stderr, between requests
    redirect_output(own_log)
    import nbgrader.apps  # noqa: F401  (the imports this process exists to pay once)

    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        redirect_output(log)
        try:
            reply = autograde(request)
        except Exception:  # a broken course: this student's row says so, the worker goes on
            traceback.print_exc()
            reply = {"success": False, "scores": None}
        redirect_output(own_log)
        os.close(log)
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
