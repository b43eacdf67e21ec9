"""Grade a class: intake, a pool of grading workers, one writer for every output, resume.

N long-lived worker processes (autograder/grading/worker.py) grade N submissions at a time. This
process only hands out work, watches each worker's wall time (a worker past its notebook's limit is
killed, and its sandboxes with it), and is the single writer of results/, the gradebook,
feedback/, grades.csv and the summary. A result is saved before anything else is written, so an
interrupted run loses nothing graded, and a re-run grades only what is missing or changed.
"""
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .. import course
from ..lab import Lab
from . import gradebook, intake, reports, status
from .sandbox import Sandbox, thread_env

RESULT_VERSION = 2
STARTUP_TIMEOUT = 180  # seconds a grading worker may take over its imports, on a loaded machine


@dataclass
class Options:
    workers: int
    cell_timeout: int = 300
    notebook_timeout: int = None
    memory_mb: int = 4096
    pids: int = 512
    cpu_seconds: float = None
    db_url: str = None
    regrade: bool = False
    unsafe: bool = False
    shard: tuple = None        # (k, n): grade only the k-th of n shares of the class


def default_workers():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def threads_per_worker(workers):
    """Threads for each worker's kernel and for its checker: the cores shared out among WORKERS."""
    return max(1, default_workers() // max(1, workers))


def in_shard(student_id, shard):
    """Whether STUDENT_ID belongs to SHARD (k, n): a stable share, the same on every machine."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(student_id.encode()).hexdigest(), 16) % n == k


def file_hash(path):
    if path is None:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------ workers

class WorkerExited(Exception):
    """A grading worker process ended without answering."""


class Stopped(Exception):
    """Grading was asked to stop (Ctrl-C, `kill`): what was graded is saved, nothing else is started."""


class Worker:
    """One grading worker process: one request at a time."""

    def __init__(self, log, unsafe, threads):
        args = [sys.executable, "-m", "autograder.grading.worker"] + (["--unsafe-no-sandbox"] if unsafe else [])
        self.proc = subprocess.Popen(args, cwd=course.REPO, env=course.kernel_env(**thread_env(threads)),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     start_new_session=True)
        self.buffer, self.ready = b"", False

    def answer(self, timeout):
        """The worker's next JSON line, or None if none came within TIMEOUT seconds."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise WorkerExited(f"the grading worker exited with status {self.proc.wait()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def send(self, request):
        if not self.ready:
            self.ready = bool(self.answer(STARTUP_TIMEOUT))
            if not self.ready:
                self.kill()
                raise WorkerExited(f"the grading worker did not start within {STARTUP_TIMEOUT} s")
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as error:
            raise WorkerExited(f"the grading worker is gone ({error})")

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """Kill the worker; its sandboxes die with it (bubblewrap's --die-with-parent)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Pool:
    """COUNT workers, started at once (their imports overlap intake), replaced when one is killed."""

    def __init__(self, count, log, unsafe, sandbox, threads):
        self.log, self.unsafe, self.sandbox, self.threads = log, unsafe, sandbox, threads
        self.lock = threading.Lock()
        self.idle = [Worker(log, unsafe, threads) for _ in range(count)]
        self.busy = set()

    def take(self):
        with self.lock:
            worker = self.idle.pop() if self.idle else Worker(self.log, self.unsafe, self.threads)
            self.busy.add(worker)
        return worker

    def give_back(self, worker):
        with self.lock:
            self.busy.discard(worker)
            if worker.alive():
                self.idle.append(worker)
            else:
                self._cleanup(worker)

    def _cleanup(self, worker):
        if self.sandbox.hierarchy is not None:
            self.sandbox.hierarchy.remove_tree(f"autograder-{worker.proc.pid}-")

    def kill_busy(self):
        with self.lock:
            for worker in self.busy:
                worker.kill()

    def close(self):
        with self.lock:
            for worker in self.idle + list(self.busy):
                worker.kill()
                self._cleanup(worker)
            self.idle, self.busy = [], set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------------------------------ grading

class Grader:
    """Grades one submission per call, on a worker from the pool; never writes shared outputs."""

    def __init__(self, lab, options, pool, out, protections):
        self.lab, self.options, self.pool, self.out = lab, options, pool, Path(out)
        self.protections = protections
        self.stopping = False
        threads = threads_per_worker(options.workers)
        self.settings = {"cell_timeout": options.cell_timeout, "notebook_timeout": options.notebook_timeout,
                         "memory_mb": options.memory_mb, "pids": options.pids, "threads": threads,
                         "cpu_cores": threads, "cpu_seconds": options.cpu_seconds}

    def grade(self, sub):
        start = time.monotonic()
        result = {"version": RESULT_VERSION, "student_id": sub.student_id, "lab": self.lab.name,
                  "lab_version": self.lab.version, "file": sub.origin, "sha256": file_hash(sub.path),
                  "submitted_at": sub.submitted_at, "time_source": sub.time_source, "lms": sub.lms,
                  "max_score": self.lab.max_score, "cells": {gid: 0.0 for gid in self.lab.tests},
                  "checks": {}, "notes": list(sub.notes), "protections": self.protections}
        sid = sub.student_id
        request = {"lab": self.lab.name, "student_id": sid, "path": str(sub.path) if sub.path else None,
                   "status": sub.status, "settings": self.settings,
                   "kernel_name": hashlib.sha256(sid.encode()).hexdigest()[:12],
                   "kernel_log": str(self.out / "logs" / f"{sid}.kernel.log"),
                   "submitted": str(self.out / "submitted" / sid / self.lab.name / self.lab.notebook),
                   "autograded": str(self.out / "autograded" / sid / self.lab.name / self.lab.notebook)}
        try:
            reply = self._on_worker(request) if not sub.status else \
                {"status": sub.status, "notes": [], "checks": {}, "cpu_seconds": 0.0}
        except WorkerExited as error:
            reply = {"status": status.ERROR, "notes": [f"the grading worker failed: {error}"], "checks": {},
                     "cpu_seconds": 0.0}
        result["status"] = reply["status"] if reply["status"] in status.ALL else status.ERROR
        result["notes"] = reply["notes"] + result["notes"]
        result["checks"] = reply["checks"]
        for gid, check in reply["checks"].items():
            if gid in result["cells"]:
                result["cells"][gid] = float(check["points"])
        result["score"] = round(sum(result["cells"].values()), 6)
        result["cpu_seconds"] = reply.get("cpu_seconds", 0.0)
        result["seconds"] = round(time.monotonic() - start, 1)
        return result

    def _on_worker(self, request):
        limit = self.options.notebook_timeout + 120  # the worker's own limit, plus kernel starts
        worker = self.pool.take()
        try:
            worker.send(request)
            start = time.monotonic()
            while True:
                reply = worker.answer(timeout=0.5)
                if reply is not None:
                    return reply
                if self.stopping:
                    worker.kill()
                    raise KeyboardInterrupt
                if time.monotonic() - start > limit:
                    worker.kill()
                    return {"status": status.TIMEOUT, "checks": {}, "cpu_seconds": 0.0,
                            "notes": [f"the notebook ran past {limit} s and its grading was stopped"]}
        finally:
            self.pool.give_back(worker)


def save_result(out, result):
    path = Path(out) / "results" / f"{result['student_id']}.json"
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
    os.replace(tmp, path)


def load_results(out, lab):
    """{student_id: result} of OUT/results for LAB (files that do not parse are graded again)."""
    results = {}
    for path in sorted((Path(out) / "results").glob("*.json")):
        try:
            r = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(r, dict) and r.get("lab") == lab.name and r.get("version") == RESULT_VERSION:
            results[r["student_id"]] = r
    return results


def grade(lab_name, submissions, out, options, progress=True, log=print, stop=None):
    """Grade SUBMISSIONS of LAB_NAME into OUT; return {student_id: result}. Raises CourseError.

    STOP: a threading.Event; once it is set, grading stops at its next safe point (within half a
    second while grading) and raises Stopped, with every finished result saved."""
    stop = threading.Event() if stop is None else stop
    lab = Lab.load(lab_name)
    out, submissions = Path(out).resolve(), Path(submissions)
    options.workers = max(1, options.workers or default_workers())
    options.notebook_timeout = options.notebook_timeout or 3 * options.cell_timeout + 60
    if not submissions.exists():
        raise course.CourseError(f"SUBMISSIONS {submissions} does not exist")
    sandbox = Sandbox.prepare(unsafe=options.unsafe)   # fail closed, before any work
    # shards sharing OUT each get their own work folder (zip intake, per-student scratch)
    work = out / ".work" / (f"shard-{options.shard[0]}-of-{options.shard[1]}" if options.shard else "all")
    work.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    subs, notes = intake.intake(submissions, work)
    for note in notes:
        log(f"note: {note}")
    subs = [sub for sub in subs if in_shard(sub.student_id, options.shard)]
    if stop.is_set():
        raise Stopped
    previous = {} if options.regrade else load_results(out, lab)
    results, todo = {}, []
    for sub in subs:
        old = previous.get(sub.student_id)
        if old and old.get("sha256") == file_hash(sub.path) and old.get("lab_version") == lab.version \
                and old.get("file") == sub.origin:
            results[sub.student_id] = old
        else:
            todo.append(sub)
    shared_gradebook = options.shard is None or options.db_url is not None
    with open(out / "logs" / "workers.log", "a") as worker_log, \
            Pool(min(options.workers, max(1, sum(s.path is not None and not s.status for s in todo))),
                 worker_log, options.unsafe, sandbox, threads_per_worker(options.workers)) as pool:
        db_url = options.db_url or f"sqlite:///{out / 'gradebook.db'}"
        if shared_gradebook:
            template = gradebook.template(lab, out / ".work")
            if not options.db_url and not (out / "gradebook.db").exists():
                shutil.copy(template / "gradebook.db", out / "gradebook.db")  # the assignment, ready
            gradebook.ensure_assignment(db_url, lab, template)
            gradebook.write_course_config(out, db_url)
            gradebook.record(db_url, lab, *results.values())  # resumed rows: make sure every output has them
        for r in results.values():
            reports.write_feedback(out, lab, r)
        if results:
            log(f"resuming: {len(results)} of {len(subs)} already graded in {out}")
        grader = Grader(lab, options, pool, out, sandbox.protections())
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(subs), initial=len(results), unit="notebook", desc=f"grading {lab_name}",
                       file=sys.stderr, dynamic_ncols=True, smoothing=0)
        threads = ThreadPoolExecutor(max_workers=options.workers)
        try:
            pending = {threads.submit(grader.grade, sub) for sub in todo}
            while pending:
                if stop.is_set():   # checked here, never raised from a signal handler: one could fire in
                    raise Stopped   # a finaliser, where Python swallows it, or in the middle of a write
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    save_result(out, result)            # durable first: a crash after this loses nothing
                    if shared_gradebook:
                        gradebook.record(db_url, lab, result)  # the one gradebook writer
                    reports.write_feedback(out, lab, result)
                    results[result["student_id"]] = result
                    line = f"{result['student_id']}: {reports.fmt(result['score'])}/" \
                           f"{reports.fmt(result['max_score'])} {result['status']}"
                    if bar:
                        bar.update(1)
                        bar.write(line, file=sys.stderr)
        except (KeyboardInterrupt, Stopped):
            grader.stopping = True
            pool.kill_busy()
            threads.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            threads.shutdown(wait=True, cancel_futures=True)
            if bar:
                bar.close()
    if options.shard is None:
        reports.write_grades(out, lab, results)
        reports.write_summary(out, lab, results)
    return results
