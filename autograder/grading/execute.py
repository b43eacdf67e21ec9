"""Grade one submission: its notebook in a sandboxed kernel, the lab's checks in this process.

The repaired notebook's cells run in order. Answer, demo and student cells run in the student's
kernel only; locked cells run there and (the master's version) in the checker; graded test cells
are never sent to the kernel: the checker runs the master's test cell against it. A student cell
that crashes the kernel (or ignores the interrupt at its time limit) costs that cell: the kernel is
restarted, the cells before it are run again, and the notebook goes on after it. A check whose call
crashes the kernel or runs past its limit is lost (zero points, said in the feedback); the kernel is
restarted likewise and the remaining checks go on. Plain nbgrader would zero the whole notebook.
"""
import time
import warnings
from dataclasses import dataclass, field

from . import checker as checking
from . import status
from .kernel import KernelGone, StudentKernel
from .sandbox import Limits

MAX_RESTARTS = 3


@dataclass
class Settings:
    cell_timeout: float = 300
    notebook_timeout: float = 960
    limits: Limits = field(default_factory=Limits)
    cpu_seconds: float = None
    threads: int = 1


@dataclass
class Execution:
    checks: dict = field(default_factory=dict)      # grade_id -> checker.CheckResult
    events: list = field(default_factory=list)      # (why, where), in order
    notebook: object = None                         # the executed notebook (for autograded/)
    cpu_seconds: float = 0.0

    @property
    def status(self):
        return status.from_events([why for why, _ in self.events])

    def notes(self):
        notes = [f"{status.EVENT_TEXT[why]} in {where}" for why, where in self.events]
        lost = [gid for gid, check in self.checks.items() if check.outcome == "lost"]
        if lost:
            notes.append("checks not graded: " + ", ".join(lost))
        return notes


class _GiveUp(Exception):
    """The kernel cannot be brought back (it keeps dying, or the notebook is out of time)."""


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def execute(lab, notebook, sandbox, settings, name, log_path):
    """Run NOTEBOOK (repaired, LAB's) against LAB's checks; an Execution."""
    result = Execution(notebook=notebook)
    kernel = StudentKernel(sandbox, settings.limits, name, log_path, threads=settings.threads,
                           cpu_seconds=settings.cpu_seconds)
    check = checking.Checker(lab, kernel, settings.cell_timeout)
    deadline = time.monotonic() + settings.notebook_timeout
    done = []  # ("student", cell index) and ("locked", grade_id): what a restarted kernel runs again
    restarts = [0]
    oom_seen = [0]

    def left():
        return deadline - time.monotonic()

    def restart():
        restarts[0] += 1
        if restarts[0] > MAX_RESTARTS:
            raise _GiveUp(result.events[-1][0] if result.events else "crash")
        try:
            kernel.restart()
            oom_seen[0] = 0
            for kind, what in done:
                if left() <= 0:
                    raise _GiveUp("timeout")
                if kind == "student":
                    kernel.run_cell(notebook.cells[what].source, min(settings.cell_timeout, left()))
                else:
                    check.run_locked(what)
        except (KernelGone, checking.remote.Lost) as gone:
            raise _GiveUp(gone.why) from None

    checking.reset_process_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in the kernels (PYTHONWARNINGS=ignore); checks set their own
        try:
            try:
                kernel.start()
            except KernelGone as gone:
                raise _GiveUp(gone.why) from None
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                gid = _grade_id(cell)
                if left() <= 0:
                    raise _GiveUp("timeout")
                if gid in lab.tests:
                    outcome = check.run_test(gid)
                    result.checks[gid] = outcome
                    cell.source, cell.outputs = lab.tests[gid].source, outcome.outputs
                    if outcome.lost:
                        result.events.append((outcome.lost, f"check {gid}"))
                        restart()
                    continue
                try:
                    run = kernel.run_cell(cell.source, min(settings.cell_timeout, left()))
                except KernelGone as gone:
                    result.events.append((gone.why, f"cell {index + 1}"))
                    cell.outputs = [_note(f"{status.EVENT_TEXT[gone.why]}: the kernel was restarted and this "
                                          f"cell skipped")]
                    restart()
                    continue
                cell.outputs = run.outputs
                if run.status == "timeout":
                    result.events.append(("timeout", f"cell {index + 1}"))
                if kernel.oom_kills() > oom_seen[0]:  # a child process was killed at the memory limit
                    oom_seen[0] = kernel.oom_kills()
                    result.events.append(("memory", f"cell {index + 1}"))
                done.append(("student", index))
                if gid in lab.locked:
                    try:
                        check.run_locked(gid)
                    except checking.remote.Lost as gone:
                        result.events.append((gone.why, f"cell {index + 1}"))
                        restart()
                        continue
                    except Exception as error:  # a locked cell the student's answers break (a NameError)
                        cell.outputs.append(_note(f"the grader's copy of this cell failed: {type(error).__name__}"))
                    done.append(("locked", gid))
        except _GiveUp as give_up:
            why = str(give_up) if str(give_up) in status.EVENT_TEXT else "crash"
            if not result.events or result.events[-1][0] != why:
                result.events.append((why, "the rest of the notebook"))
        finally:
            result.cpu_seconds = kernel.cpu_used() if kernel.launched else kernel.cpu_before
            kernel.stop()
    last = result.events[-1][0] if result.events else "crash"
    for gid, test in lab.tests.items():
        if gid not in result.checks:
            message = check.message(test, None, last, None)
            result.checks[gid] = checking.CheckResult(0.0, "lost", message, last, [])
    return result


def _note(text):
    import nbformat

    return nbformat.v4.new_output("stream", name="stderr", text=f"[grader] {text}\n")
