"""`python -m autograder grade LAB SUBMISSIONS --out DIR`: grade a class in parallel, safely.

SUBMISSIONS is a folder or a .zip of notebooks (nested folders are searched). A student's id is
read from each .ipynb file's name, the first rule that matches:

  Canvas   <name>[_LATE]_<user id>_<submission id>_<file>.ipynb  ->  the Canvas user id
           (e.g. smithalice_LATE_48213_901234_xor_mlp-1.ipynb -> 48213)
  Moodle   <Full Name>_<participant id>_assignsubmission_file_<file>.ipynb, or any file inside a
           folder named <Full Name>_<participant id>_assignsubmission_file_  ->  the participant id
           (e.g. Alice Smith_1234_assignsubmission_file_/xor_mlp.ipynb -> 1234)
  plain    <student_id>.ipynb  ->  the file name without .ipynb (characters other than letters,
           digits and . _ - @ become _)

Two notebooks with the same id: the newer one (file time, then name) is graded, and the status
says which file was ignored. A Canvas/Moodle-named file that is not a notebook, for a student with
no notebook, gives that student the status `missing notebook`; other files are listed and skipped.

Each submission is read and repaired against the release (autograder/repair.py), then graded by
nbgrader's autograde in its own throw-away course directory, N at a time, on N long-lived worker
processes (autograder/worker.py: nbgrader is imported once per worker, not once per student); its
kernel starts through autograder/sandbox.py (memory limit, no network, the solutions, the class's
other notebooks and the gradebooks hidden; see that file). A worker whose kernel runs past the
notebook's time limit or the memory limit is killed and replaced. One writer merges the results
into the gradebook. DIR/logs/ holds nbgrader's log for each student.

Writes DIR/grades.csv (student_id, lab, score, max_score, status, then points per graded cell),
DIR/feedback/<student_id>.html (per graded cell: pass/fail and the visible tests' messages; never
a hidden test or a solution), DIR/summary.csv and DIR/summary.png (score distribution, fraction of
the class with full points per graded cell), DIR/gradebook.db (or --db) with DIR/submitted and
DIR/autograded, so `nbgrader formgrader` / `nbgrader export` work in DIR, and DIR/results/ (one
JSON per student: what lets a re-run of the same command grade only what is missing).

Status: `graded` (with `(repaired: ...)` or a duplicate note), `invalid notebook: <reason>`,
`timeout` (a cell ran past --timeout, or the notebook past --notebook-timeout), `memory limit`,
`kernel died` (os._exit, a segfault, ...), `missing notebook`. Exit status 0 when every
submission got a row; 2 when grading cannot run (unknown lab, unreadable SUBMISSIONS).
"""
import csv
import hashlib
import html
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import course

SANDBOX = Path(__file__).resolve().parent / "sandbox.py"
KERNEL_NAME = "autograder-sandbox"
CANVAS = re.compile(r"^(?P<name>[^_/]+)_(?:late_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$", re.I)
SKIP = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints|\.[^/]*)(/|$)")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RESULT_VERSION = 1
STARTUP_TIMEOUT = 120  # seconds a grading worker may take over its imports, on a loaded machine


def configure(parser):
    parser.add_argument("lab", metavar="LAB", help="lab folder name, e.g. 01_xor_mlp")
    parser.add_argument("submissions", metavar="SUBMISSIONS", type=Path,
                        help="folder or .zip of submitted notebooks (ids read as described above)")
    parser.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="output folder (grades.csv, feedback/, summary, gradebook); re-use it to resume")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help=f"submissions graded at once (default: the number of cores, {default_workers()})")
    parser.add_argument("--timeout", type=int, default=300, metavar="SECONDS",
                        help="time limit per cell (default 300)")
    parser.add_argument("--notebook-timeout", type=int, metavar="SECONDS",
                        help="time limit per notebook (default: 3 x --timeout + 60)")
    parser.add_argument("--memory", type=int, default=4096, metavar="MB",
                        help="memory limit per submission's kernel in MB (default 4096)")
    parser.add_argument("--db", metavar="URL",
                        help="gradebook database URL, anything nbgrader accepts (default: sqlite:///DIR/gradebook.db)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every submission again, even those DIR/results already holds")


def default_workers():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ------------------------------------------------------------------------------------------- intake

@dataclass
class Submission:
    student_id: str
    path: Path = None          # the notebook file (None: nothing to grade)
    origin: str = ""           # where it came from, for messages
    status: str = ""           # set when it cannot be graded at all (missing notebook)
    notes: list = field(default_factory=list)


def clean_id(raw):
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", raw.strip()).strip("._") or "unnamed"


def student_id(relpath):
    """(student id, rule) read from a submission's path relative to SUBMISSIONS."""
    parts = Path(relpath).parts
    name = Path(parts[-1]).stem
    for pattern, rule in ((CANVAS, "canvas"), (MOODLE, "moodle")):
        match = pattern.match(name)
        if match:
            return clean_id(match["id"]), rule
    for folder in reversed(parts[:-1]):
        match = MOODLE.match(folder)
        if match:
            return clean_id(match["id"]), "moodle"
    return clean_id(name), "plain"


def intake(source, workdir):
    """[Submission] read from SOURCE (folder, .zip or one .ipynb), and messages about skipped files."""
    source = Path(source)
    if not source.exists():
        raise course.CourseError(f"SUBMISSIONS {source} does not exist")
    files = []  # (relative path, real path, mtime)
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source).as_posix()
            if path.is_file() and not SKIP.search(rel):
                files.append((rel, path, path.stat().st_mtime))
    elif source.suffix.lower() == ".ipynb":
        files.append((source.name, source, source.stat().st_mtime))
    else:
        try:
            archive = zipfile.ZipFile(source)
            members = [m for m in archive.infolist() if not m.is_dir()]
            target = Path(workdir) / "intake"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for index, member in enumerate(members):
                rel = member.filename.replace("\\", "/").lstrip("/")
                if SKIP.search(rel):
                    continue
                path = target / f"{index:05d}{Path(rel).suffix.lower()[:12]}"
                with archive.open(member) as fin, open(path, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
                files.append((rel, path, time.mktime(member.date_time + (0, 0, -1))))
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as error:
            raise course.CourseError(f"cannot read SUBMISSIONS {source}: not a readable folder or .zip ({error})")
    notebooks, others, messages = {}, {}, []
    for rel, path, mtime in files:
        sid, rule = student_id(rel)
        if rel.lower().endswith(".ipynb"):
            notebooks.setdefault(sid, []).append((mtime, rel, path))
        elif rule != "plain":
            others.setdefault(sid, []).append(rel)
        else:
            messages.append(f"skipped {rel}: not a notebook")
    result = []
    for sid, found in notebooks.items():
        found.sort()
        mtime, rel, path = found[-1]
        sub = Submission(sid, path, rel)
        if len(found) > 1:
            ignored = ", ".join(r for _, r, _ in found[:-1])
            sub.notes.append(f"duplicate id: graded {rel}, ignored {ignored}")
            messages.append(f"student {sid}: {len(found)} notebooks; graded the newest, {rel}; ignored {ignored}")
        result.append(sub)
    for sid, rels in others.items():
        if sid not in notebooks:
            result.append(Submission(sid, None, rels[0], status="missing notebook"))
            messages.append(f"student {sid}: no notebook, only {', '.join(rels)}")
        else:
            messages.append(f"skipped {', '.join(rels)}: not a notebook")
    return sorted(result, key=lambda s: s.student_id), messages


# ---------------------------------------------------------------------------------------- the lab

class Lab:
    """What grading needs to know about LAB: its cells, points and secrets, and a template course."""

    def __init__(self, name, workdir):
        self.name = name
        self.notebook = course.notebook_name(name)
        master = course.read_notebook(course.SOLUTIONS / name / self.notebook)
        self.tests = {}
        for gid, cell in course.nbgrader_cells(master, "tests").items():
            lines = cell.source.splitlines()
            begin = next((i + 1 for i, line in enumerate(lines) if "### BEGIN HIDDEN TESTS" in line), len(lines) + 1)
            doc = cell.source.strip().split("\n")[0].strip('"\' ')
            self.tests[gid] = {"points": float(cell.metadata.nbgrader["points"]), "hidden_from": begin,
                               "visible": lines[:begin - 1], "doc": doc}
        self.max_score = sum(t["points"] for t in self.tests.values())
        # Lines to scrub from feedback, longest first so that no shorter secret splits a longer one.
        self.secrets = sorted((line for line in course.secret_lines(master) if len(line) >= 8), key=len, reverse=True)
        digest = hashlib.sha256((course.SOLUTIONS / name / self.notebook).read_bytes()
                                + course.CONFIG.read_bytes()).hexdigest()
        self.version = digest[:16]
        self.template = Path(workdir) / f"template-{name}-{self.version}"
        if not (self.template / "gradebook.db").exists():
            shutil.rmtree(self.template, ignore_errors=True)
            tmp = Path(tempfile.mkdtemp(prefix="template-", dir=workdir))
            course.new_course(tmp, [name])
            tmp.rename(self.template)

    def scrub(self, text):
        """TEXT with every line that quotes a solution or hidden-test line removed."""
        kept = []
        for line in str(text).splitlines():
            if any(secret in line for secret in self.secrets):
                kept.append("[line hidden]")
            else:
                kept.append(line)
        return "\n".join(kept)


# ------------------------------------------------------------------------------------------- grading

@dataclass
class Settings:
    timeout: int
    notebook_timeout: int
    memory: int
    out: Path
    hide: list
    threads: int = 1  # CPU threads per kernel: the cores shared out between the workers


def read_rss_anon(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def kill_tree(proc):
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        family = []
    for p in [proc] + family:
        try:
            p.kill()
        except (psutil.Error, OSError):
            pass
    proc.wait()


class WorkerExited(Exception):
    """A grading worker process ended without answering."""


class Worker:
    """One grading worker process (autograder/worker.py): nbgrader autograde, one request at a time."""

    def __init__(self, log):
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.worker"], cwd=course.REPO,
                                     env=course.kernel_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log, start_new_session=True)
        self.buffer = b""
        self.ready = False

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
        """Hand the worker REQUEST, once it has its imports done."""
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
        kill_tree(self.proc)


class Workers:
    """The grading worker processes: COUNT started at once (their imports overlap the class's intake),
    lent to one grading thread at a time, replaced when one is killed."""

    def __init__(self, count, log):
        self.log = log
        self.lock = threading.Lock()
        self.idle = [Worker(log) for _ in range(count)]
        self.busy = set()

    def take(self):
        with self.lock:
            worker = self.idle.pop() if self.idle else Worker(self.log)
            self.busy.add(worker)
        return worker

    def give_back(self, worker):
        with self.lock:
            self.busy.discard(worker)
            if worker.alive():
                self.idle.append(worker)

    def kill_busy(self):
        with self.lock:
            for worker in self.busy:
                worker.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stop every worker: an idle one holds nothing (its kernel is gone), a busy one is interrupted."""
        with self.lock:
            for worker in self.idle + list(self.busy):
                worker.kill()
            self.idle, self.busy = [], set()


class Grader:
    """Grades one submission at a time per thread, each on a worker; never touches the main gradebook."""

    def __init__(self, lab, settings, workers):
        self.lab, self.settings, self.workers = lab, settings, workers
        self.stopping = False
        self.peaks = {}  # student: the kernel's peak anonymous memory seen by the watchdog

    def grade(self, sub):
        start = time.monotonic()
        result = {"student_id": sub.student_id, "lab": self.lab.name, "file": sub.origin,
                  "max_score": self.lab.max_score, "cells": {gid: 0.0 for gid in self.lab.tests},
                  "feedback": {}, "notes": list(sub.notes), "lab_version": self.lab.version,
                  "sha256": file_hash(sub.path), "version": RESULT_VERSION}
        try:
            if sub.status:
                result["status"] = sub.status
            else:
                self._grade(sub, result)
        except Exception as error:  # a bug here must cost one row, not the class
            result["status"] = f"grading error: {type(error).__name__}: {error}"
        result["score"] = round(sum(result["cells"].values()), 6)
        result["seconds"] = round(time.monotonic() - start, 1)
        return result

    def _grade(self, sub, result):
        from . import repair

        lab = self.lab.name
        try:
            nb = repair.read_submission(sub.path, lab)
            nb, notes = repair.repair(nb, lab)
        except repair.InvalidSubmission as error:
            result["status"] = f"invalid notebook: {error}"
            return
        result["repairs"] = list(notes)
        sid = sub.student_id
        work = self.settings.out / ".work" / f"s-{sid}"
        shutil.rmtree(work, ignore_errors=True)
        (work / "db").mkdir(parents=True)
        shutil.copy(self.lab.template / "gradebook.db", work / "db" / "gradebook.db")
        root = work / "course"
        submitted = root / "submitted" / sid / lab
        submitted.mkdir(parents=True)
        nbformat.write(nb, str(submitted / self.lab.notebook))
        runtime = Path(tempfile.mkdtemp(prefix="ag-"))  # short: Unix socket paths are limited to 107 bytes
        try:
            self._write_config(root, work / "db" / "gradebook.db", runtime)
            status, scores = self._autograde(root, sid, runtime, work / "nbgrader.log")
            if (runtime / "sandbox.json").exists():
                result["isolation"] = json.loads((runtime / "sandbox.json").read_text())
        finally:
            shutil.rmtree(runtime, ignore_errors=True)
        autograded = root / "autograded" / sid / lab / self.lab.notebook
        if scores is not None and set(scores) >= set(self.lab.tests):
            scores = {gid: float(scores[gid] or 0) for gid in self.lab.tests}
        else:
            scores = None
        if status is None:
            if scores is None or not autograded.exists():
                log = (work / "nbgrader.log").read_text(errors="replace")
                if self.peaks.get(sid, 0) >= 0.7 * (self.settings.memory << 20) or re.search(
                        r"mmap error: 12|MemoryError|bad_alloc|cannot allocate memory|out of memory|"
                        r"pthread_create\(\) failed", log, re.I):
                    status = "memory limit"  # the kernel died allocating past --memory (RLIMIT_DATA)
                else:
                    status = "kernel died" if re.search(r"DeadKernel|[Kk]ernel died", log) else \
                        f"grading error: nbgrader autograde failed (see logs/{sid}.log)"
        if autograded.exists():
            graded_nb = course.read_notebook(autograded)
            result["feedback"] = self.feedback(graded_nb)
            enames = {o.get("ename") for c in graded_nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "error"}
            if status is None and "CellTimeoutError" in enames:
                status = "timeout"
            elif status is None and enames & {"MemoryError", "ResourceExhaustedError"}:
                status = "memory limit"
            keep = self.settings.out / "autograded" / sid / lab
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(autograded.parent, keep)
        keep = self.settings.out / "submitted" / sid / lab
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(submitted / self.lab.notebook, keep / self.lab.notebook)
        if scores is not None:
            result["cells"] = scores
        if status is None:
            extras = ([f"repaired: {'; '.join(notes)}"] if notes else []) + sub.notes
            status = "graded" + (f" ({'; '.join(extras)})" if extras else "")
        result["status"] = status
        shutil.copy(work / "nbgrader.log", self.settings.out / "logs" / f"{sid}.log")
        shutil.rmtree(work, ignore_errors=True)

    def _write_config(self, root, db, runtime):
        kernel_dir = runtime / "kernels" / KERNEL_NAME
        kernel_dir.mkdir(parents=True)
        argv = [sys.executable, str(SANDBOX), "--memory", str(self.settings.memory),
                "--keep", str(course.DATA), "--keep", str(runtime)]
        for path in self.settings.hide + [root.parent.parent]:
            argv += ["--hide", str(path)]
        argv += ["--hide-writable", tempfile.gettempdir(), "--report", str(runtime / "sandbox.json")]
        argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (kernel_dir / "kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python"}))
        config = course.CONFIG.read_text() + "\n# added by `autograder grade` for one submission\n" + "\n".join([
            f"c.CourseDirectory.root = {str(root)!r}",
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(db)!r}",
            f"c.Execute.timeout = {int(self.settings.timeout)}",
            f"c.Execute.kernel_name = {KERNEL_NAME!r}",
            "c.KernelManager.transport = 'ipc'",
            f"c.KernelManager.ip = {str(runtime / 'k')!r}",
            "",
        ])
        (root / "nbgrader_config.py").write_text(config)

    def _autograde(self, root, sid, runtime, log_path):
        """Autograde SID in ROOT on a worker, watching time and memory: (status or None, scores or None)."""
        # N kernels each using every core (TensorFlow's and oneDNN's default) would fight over them.
        threads = str(self.settings.threads)
        env = course.kernel_env(JUPYTER_PATH=str(runtime), JUPYTER_RUNTIME_DIR=str(runtime),
                                MPLBACKEND="Agg", PYTHONHASHSEED="0", OMP_NUM_THREADS=threads,
                                TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=threads)
        request = {"root": str(root), "lab": self.lab.name, "student": sid, "env": env, "log": str(log_path)}
        limit = self.settings.memory << 20
        worker = self.workers.take()
        try:
            worker.send(request)
            start = time.monotonic()
            while True:
                reply = worker.answer(timeout=0.5)
                if reply is not None:
                    return None, reply["scores"]
                if self.stopping:
                    worker.kill()
                    raise KeyboardInterrupt
                if time.monotonic() - start > self.settings.notebook_timeout:
                    worker.kill()
                    return "timeout", None
                used = tree_memory(worker.proc.pid)
                self.peaks[sid] = max(self.peaks.get(sid, 0), used)
                if used > limit:
                    worker.kill()
                    return "memory limit", None
        except WorkerExited as error:
            with open(log_path, "a") as log:
                print(f"autograder: {error}", file=log)
            return None, None
        finally:
            self.workers.give_back(worker)

    def feedback(self, nb):
        """{grade_id: {"passed", "message"}} from an autograded notebook, with nothing secret in it."""
        out = {}
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if cell.cell_type != "code" or gid not in self.lab.tests:
                continue
            info = self.lab.tests[gid]
            messages = []
            for o in cell.outputs:
                if o.output_type == "error":
                    messages.append(self._error_message(o, info))
                elif o.output_type == "stream" and o.name == "stderr":
                    messages.append("The cell wrote to stderr (graded cells must run silently):\n" + o.text[-1500:])
            out[gid] = {"message": self.lab.scrub("\n\n".join(messages))}
        return out

    def _error_message(self, output, info):
        ename, evalue = output.get("ename", "Error"), ANSI.sub("", str(output.get("evalue", "")))
        if ename == "CellTimeoutError":
            return f"The cell ran longer than the time limit ({self.settings.timeout} s) and was stopped."
        traceback = ANSI.sub("", "\n".join(output.get("traceback", [])))
        match = re.search(r"(?:Cell In ?\[\d*\]|<ipython-input-[^>]*>), line (\d+)", traceback) or \
            re.search(r"line (\d+)", traceback)
        line = int(match.group(1)) if match else None
        if line is not None and line < info["hidden_from"]:
            shown = info["visible"][line - 1].strip() if 0 < line <= len(info["visible"]) else ""
            where = f"\nat line {line} of the check: {shown}" if shown else ""
            return f"{ename}: {evalue[:3000]}{where}"
        detail = "" if ename == "AssertionError" else f": {evalue[:500]}"
        return (f"A hidden test failed ({ename}{detail}). Hidden tests call your code on other inputs "
                f"(other shapes, values, seeds): re-read the exercise's contract.")


def tree_memory(pid):
    """Anonymous resident memory of PID's descendants (the kernel), in bytes."""
    import psutil

    try:
        return sum(read_rss_anon(p.pid) for p in psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return 0


def file_hash(path):
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ outputs

def merge(db_url, lab, result):
    """Write RESULT's points into the gradebook at DB_URL (the single writer)."""
    import warnings

    from nbgrader.api import MissingEntry

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own add_submission
    name = Path(lab.notebook).stem
    with course.gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(result["student_id"])
        try:
            gradebook.find_submission(lab.name, result["student_id"])
        except MissingEntry:
            gradebook.add_submission(lab.name, result["student_id"])
        for gid, points in result["cells"].items():
            grade = gradebook.find_grade(gid, name, lab.name, result["student_id"])
            grade.auto_score = points
            grade.needs_manual_grade = False
        gradebook.db.commit()


def ensure_gradebook(db_url, lab):
    """Give the gradebook at DB_URL the lab's assignment (generate_assignment), if it lacks it."""
    from nbgrader.api import MissingEntry

    try:
        with course.gradebook(db_url) as gradebook:
            assignment = gradebook.find_assignment(lab.name)
            if {c.name for n in assignment.notebooks for c in n.grade_cells} >= set(lab.tests):
                return
    except MissingEntry:
        pass
    except Exception as error:
        raise course.CourseError(f"cannot open the gradebook {db_url}: {error}")
    if db_url == f"sqlite:///{lab.template / 'gradebook.db'}":
        return
    course.generate(lab.template, lab.name, db_url)


def fmt(x):
    return f"{x:g}"


def write_csv(out, lab, results):
    gids = list(lab.tests)
    path = out / "grades.csv"
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "lab", "score", "max_score", "status"] + gids)
        for r in sorted(results.values(), key=lambda r: r["student_id"]):
            writer.writerow([r["student_id"], r["lab"], fmt(r["score"]), fmt(r["max_score"]), r["status"]]
                            + [fmt(r["cells"].get(g, 0)) for g in gids])
    os.replace(tmp, path)


def write_summary(out, lab, results):
    rows = list(results.values())
    n = len(rows)
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["grade_id", "description", "max_points", "mean_points", "fraction_passing", "students"])
        for gid, info in lab.tests.items():
            points = [r["cells"].get(gid, 0) for r in rows]
            passing = sum(p >= info["points"] for p in points)
            writer.writerow([gid, info["doc"], fmt(info["points"]), f"{sum(points) / max(n, 1):.3f}",
                             f"{passing / max(n, 1):.3f}", n])
        scores = [r["score"] for r in rows]
        writer.writerow(["total", "whole lab", fmt(lab.max_score), f"{sum(scores) / max(n, 1):.3f}",
                         f"{sum(s >= lab.max_score for s in scores) / max(n, 1):.3f}", n])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 1.4]})
    left.hist([r["score"] for r in rows], bins=min(20, max(5, int(lab.max_score) + 1)),
              range=(0, lab.max_score), color="tab:blue", edgecolor="white")
    left.set(xlabel=f"score (out of {fmt(lab.max_score)})", ylabel="students",
             title=f"{lab.name}: score distribution ({n} students)")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    gids = list(lab.tests)
    fractions = [sum(r["cells"].get(g, 0) >= lab.tests[g]["points"] for r in rows) / max(n, 1) for g in gids]
    right.barh(gids[::-1], fractions[::-1], color="tab:green")
    right.set(xlim=(0, 1), xlabel="fraction of the class with full points", title="per graded cell")
    fig.tight_layout()
    fig.savefig(out / "summary.png", dpi=100)
    plt.close(fig)


def write_feedback(out, lab, result):
    """DIR/feedback/<student>.html: status, and per graded cell pass/fail with the visible messages."""
    e = html.escape
    rows = []
    for gid, info in lab.tests.items():
        points = result["cells"].get(gid, 0)
        passed = points >= info["points"]
        message = result["feedback"].get(gid, {}).get("message", "")
        if not passed and not message:
            message = "Not graded: " + result["status"] if not result["status"].startswith("graded") else \
                "No points for this check."
        rows.append(f"<tr class='{'pass' if passed else 'fail'}'><td><code>{e(gid)}</code><br>{e(info['doc'])}</td>"
                    f"<td>{fmt(points)} / {fmt(info['points'])}</td><td>{'passed' if passed else 'failed'}</td>"
                    f"<td><pre>{e(lab.scrub(message))}</pre></td></tr>")
    why = {"timeout": f"a cell ran past the time limit and was stopped (an endless loop?); the checks "
                      f"after it ran on what was defined by then",
           "memory limit": "your code used more memory than allowed, and was stopped",
           "kernel died": "the Python kernel crashed (os._exit, a segfault, ...): nothing could be graded",
           "missing notebook": "no .ipynb file was found for you",
           "invalid notebook": "the file could not be read as this lab's notebook"}
    explain = next((text for key, text in why.items() if result["status"].startswith(key)), "")
    explain = f"<p><b>What happened:</b> {e(explain)}.</p>" if explain else ""
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{e(lab.name)}: feedback for {e(result['student_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top}} tr.pass td{{background:#eefbea}}
tr.fail td{{background:#fdeeee}} pre{{white-space:pre-wrap;margin:0;max-width:60em}}</style></head>
<body><h1>{e(lab.name)}: {e(result['student_id'])}</h1>
<p><b>Score:</b> {fmt(result['score'])} / {fmt(result['max_score'])}<br><b>Status:</b> {e(lab.scrub(result['status']))}<br>
<b>File:</b> {e(result['file'])}</p>{explain}
<p>Each graded check below runs visible tests (the ones in your notebook) and hidden tests (your code on
other inputs). Hidden tests are not shown.</p>
<table><tr><th>check</th><th>points</th><th>result</th><th>message</th></tr>
{''.join(rows)}
</table></body></html>
"""
    (out / "feedback").mkdir(exist_ok=True)
    path = out / "feedback" / f"{result['student_id']}.html"
    path.with_suffix(".tmp").write_text(page)
    os.replace(path.with_suffix(".tmp"), path)


def save_result(out, result):
    path = out / "results" / f"{result['student_id']}.json"
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
    os.replace(tmp, path)


def load_results(out, lab):
    results = {}
    for path in sorted((out / "results").glob("*.json")):
        try:
            r = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if r.get("lab") == lab.name and r.get("version") == RESULT_VERSION:
            results[r["student_id"]] = r
    return results


# ---------------------------------------------------------------------------------------------- run

def grade(lab_name, submissions, out, workers=None, timeout=300, notebook_timeout=None, memory=4096,
          db_url=None, regrade=False, progress=True, log=print):
    """Grade SUBMISSIONS of LAB_NAME into OUT; return {student_id: result}. Raises CourseError."""
    course.notebook_name(lab_name)  # unknown lab: a clear error before any work
    out = Path(out).resolve()
    submissions = Path(submissions).resolve()
    if not submissions.exists():
        raise course.CourseError(f"SUBMISSIONS {submissions} does not exist")
    work = out / ".work"
    work.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    subs, messages = intake(submissions, work)
    for message in messages:
        log(f"note: {message}")
    workers = max(1, workers or default_workers())
    with open(out / "logs" / "workers.log", "a") as worker_log, \
            Workers(min(workers, sum(sub.path is not None for sub in subs)), worker_log) as pool:
        lab = Lab(lab_name, out / ".work")
        if not db_url and not (out / "gradebook.db").exists():
            shutil.copy(lab.template / "gradebook.db", out / "gradebook.db")  # the assignment, ready
        db_url = db_url or f"sqlite:///{out / 'gradebook.db'}"
        ensure_gradebook(db_url, lab)
        config = course.CONFIG.read_text() + f"\nc.CourseDirectory.db_url = {db_url!r}\n"
        (out / "nbgrader_config.py").write_text(config)

        hide = [course.REPO, out, submissions if submissions.is_dir() else submissions.parent]
        if db_url.startswith("sqlite:///"):
            hide.append(Path(db_url[len("sqlite:///"):]).resolve())
        settings = Settings(timeout=timeout, notebook_timeout=notebook_timeout or 3 * timeout + 60,
                            memory=memory, out=out, hide=hide, threads=max(1, default_workers() // workers))
        previous = {} if regrade else load_results(out, lab)
        results, todo = {}, []
        for sub in subs:
            old = previous.get(sub.student_id)
            if old and old.get("sha256") == file_hash(sub.path) and old.get("lab_version") == lab.version \
                    and old.get("file") == sub.origin:
                results[sub.student_id] = old
            else:
                todo.append(sub)
        for r in results.values():  # resumed rows: make sure every output has them
            merge(db_url, lab, r)
            write_feedback(out, lab, r)
        if results:
            log(f"resuming: {len(results)} of {len(subs)} already graded in {out}")
        write_csv(out, lab, results)
        grader = Grader(lab, settings, pool)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(subs), initial=len(results), unit="notebook", desc=f"grading {lab_name}",
                       file=sys.stderr, dynamic_ncols=True, smoothing=0)
        threads = ThreadPoolExecutor(max_workers=workers)
        try:
            futures = {threads.submit(grader.grade, sub): sub for sub in todo}
            for future in as_completed(futures):
                result = future.result()
                save_result(out, result)            # durable first: a crash after this loses nothing
                merge(db_url, lab, result)          # the one gradebook writer
                write_feedback(out, lab, result)
                results[result["student_id"]] = result
                write_csv(out, lab, results)
                line = f"{result['student_id']}: {fmt(result['score'])}/{fmt(result['max_score'])} {result['status']}"
                if bar:
                    bar.update(1)
                    bar.write(line, file=sys.stderr)
        except KeyboardInterrupt:
            grader.stopping = True
            pool.kill_busy()
            threads.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            threads.shutdown(wait=True, cancel_futures=True)
            if bar:
                bar.close()
        write_csv(out, lab, results)
        write_summary(out, lab, results)
        return results


def _terminate(signum, frame):
    raise KeyboardInterrupt


def run(args):
    signal.signal(signal.SIGTERM, _terminate)  # `kill` stops the workers too, and keeps what is graded
    try:
        results = grade(args.lab, args.submissions, args.out, workers=args.workers, timeout=args.timeout,
                        notebook_timeout=args.notebook_timeout, memory=args.memory, db_url=args.db,
                        regrade=args.regrade)
    except KeyboardInterrupt:
        print(f"interrupted: what was graded is kept in {args.out}; run the same command again to resume",
              file=sys.stderr)
        return 130
    counts = {}
    for r in results.values():
        key = r["status"].split(" (")[0].split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    if not results:
        print(f"no notebooks found in {args.submissions}: nothing graded")
    else:
        print(f"{len(results)} students graded: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'feedback'}/, {args.out / 'summary.csv'}, "
          f"{args.out / 'summary.png'}")
    return 0
