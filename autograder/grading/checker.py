"""The trusted checker: runs a lab's locked cells and graded tests against one student's kernel.

It runs in the grading worker, a process that never runs student code. For each submission it
keeps a fresh namespace in which it executes the master's setup, locked data and helper cells, and
every graded test cell (visible and hidden parts), at the place the notebook has them. Before each
of those cells, every name an answer cell defines is bound to what the student's kernel holds now:
data as data, functions and other objects as `Remote` proxies (autograder/grading/remote.py).

A check passes when its code runs here without an exception; its points follow nbgrader's own rule
(`nbgrader.utils.determine_grade`: an error or any stderr output scores zero, an execute_result is
partial credit) applied to outputs this process wrote. `keras.utils.set_random_seed` in a check also
seeds the student's kernel, as it would in one process.
"""
import ast
import builtins
import contextlib
import io
import signal
import sys
import time
import traceback
from dataclasses import dataclass

import nbformat
from nbgrader.utils import determine_grade

from . import remote

_ACTIVE = None   # the Checker whose student kernel a seed in a check also reaches


class CheckTimeout(BaseException):
    """The check's own code ran past the time limit."""


@dataclass
class CheckResult:
    points: float
    outcome: str            # passed, failed, lost
    message: str            # for feedback: written by the grader, never student text
    lost: str = None        # why the kernel was lost during the check (crash, timeout, memory, ...)
    outputs: list = None    # for the autograded notebook


def _forwarding(set_random_seed):
    def seed_checker_and_student(seed):
        set_random_seed(seed)
        if _ACTIVE is not None and _ACTIVE.serving:
            _ACTIVE.channel.value({"op": "seed", "target": None, "seed": int(seed)})
    seed_checker_and_student.forwards = True
    return seed_checker_and_student


def install_seed_forwarding():
    import keras

    if not getattr(keras.utils.set_random_seed, "forwards", False):
        keras.utils.set_random_seed = _forwarding(keras.utils.set_random_seed)


def reset_process_state():
    """Between students: what a master's code may leave behind in this long-lived process."""
    import keras
    import matplotlib.pyplot as plt
    import numpy as np

    keras.backend.clear_session()
    plt.close("all")
    np.seterr(all="warn", under="ignore")


class Checker:
    def __init__(self, lab, kernel, cell_timeout):
        self.lab, self.kernel, self.cell_timeout = lab, kernel, cell_timeout
        self.channel = remote.Channel(kernel, cell_timeout)
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.serving = False
        install_seed_forwarding()

    # ------------------------------------------------------------------------------ sessions

    @contextlib.contextmanager
    def session(self):
        """The student's agent serves this checker cell's requests; its stderr is collected."""
        global _ACTIVE
        msg_id = self.kernel.serve_begin()
        self.channel.callbacks.clear()
        self.channel.deadline = time.monotonic() + 60
        ready = self.channel._receive()
        if ready.get("op") != "ready":
            raise remote.Lost("protocol", "the grader's agent in your kernel did not start")
        self.serving, _ACTIVE = True, self
        try:
            yield
        finally:
            self.serving, _ACTIVE = False, None
        self.channel._send({"op": "end"})
        self.stderr = [o for o in self.kernel.serve_end(msg_id, 60).outputs
                       if o.output_type == "stream" and o.name == "stderr"]

    def bind_answers(self):
        """Bind every answer name to what the student's kernel holds now (absent: a NameError later)."""
        names = sorted(self.lab.answer_names)
        values = self.channel.value({"op": "resolve", "names": names, "target": None})
        if type(values) is not dict:
            raise remote.Lost("protocol", "a malformed answer to resolve")
        for name in names:
            if name in values:
                self.namespace[name] = values[name]
            else:
                self.namespace.pop(name, None)

    # ------------------------------------------------------------------------------ cells

    def _execute(self, source, filename):
        """Run SOURCE as IPython would (a last expression is a result); (result or None, stderr text)."""
        from IPython.core.inputtransformer2 import TransformerManager

        tree = ast.parse(TransformerManager().transform_cell(source), filename)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            exec(compile(tree, filename, "exec"), self.namespace)
            value = eval(compile(ast.Expression(last.value), filename, "eval"), self.namespace) if last else None
        return value, err.getvalue()

    def run_locked(self, grade_id):
        """Run the master's locked cell GRADE_ID here (it defines what the checks may use)."""
        with self.session():
            self.bind_answers()
            self._execute(self.lab.locked[grade_id], f"<locked cell {grade_id}>")

    def run_test(self, grade_id):
        """Run the master's test cell GRADE_ID against the student's kernel: a CheckResult."""
        test = self.lab.tests[grade_id]
        filename = f"<check {grade_id}>"
        outputs, error, lost = [], None, None
        self.stderr = []

        def too_long(signum, frame):
            raise CheckTimeout

        previous = signal.signal(signal.SIGALRM, too_long)
        signal.setitimer(signal.ITIMER_REAL, self.cell_timeout)
        try:
            with self.session():
                self.bind_answers()
                try:
                    value, err = self._execute(test.source, filename)
                    if err:
                        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=err))
                    if value is not None:
                        outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": repr(value)},
                                                              execution_count=None))
                except remote.Lost:
                    raise
                except BaseException as exc:  # the check failed (CheckTimeout included)
                    error = exc
        except remote.Lost as exc:
            lost, error = exc.why, exc
        except CheckTimeout as exc:
            lost, error = "timeout", exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if self.stderr and not lost:
            outputs[:0] = [nbformat.v4.new_output("stream", name="stderr", text="(your code wrote to stderr)\n")]
        if error is not None:
            outputs.append(nbformat.v4.new_output("error", ename=type(error).__name__, evalue="",
                                                  traceback=[self.message(test, error, lost, filename)]))
        cell = nbformat.v4.new_code_cell(test.source, metadata={"nbgrader": {"grade": True, "solution": False,
                                                                             "points": test.points,
                                                                             "grade_id": grade_id}})
        cell.outputs = outputs
        points = float(determine_grade(cell)[0] or 0)
        outcome = "lost" if lost else ("passed" if points >= test.points else "failed")
        if outcome == "failed" and error is None:
            message = ("Your code wrote to stderr during this check (graded cells must run silently)."
                       if self.stderr or any(o.get("name") == "stderr" for o in outputs) else "Partial credit.")
        else:
            message = self.message(test, error, lost, filename) if error is not None else ""
        return CheckResult(points, outcome, message, lost, outputs)

    # ------------------------------------------------------------------------------ messages

    def message(self, test, error, lost, filename):
        """What feedback may say about ERROR: the grader's text only, never student text or hidden tests."""
        if lost == "timeout":
            return f"Not graded: a call into your code ran past the time limit ({self.cell_timeout:g} s)."
        if lost in ("crash", "memory", "cpu", "output", "protocol"):
            return {"crash": "Not graded: your kernel crashed during this check.",
                    "memory": "Not graded: your code ran out of memory during this check.",
                    "cpu": "Not graded: your code used more CPU time than allowed.",
                    "output": "Not graded: your code produced more output than allowed.",
                    "protocol": "Not graded: your notebook broke the grader's connection to your code."}[lost] + \
                " The grader restarted your kernel and went on with the other checks."
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
        top = frames[0].lineno if frames else None
        deepest = frames[-1].lineno if frames else None
        kind = getattr(error, "student_type", None) or type(error).__name__
        if getattr(error, "from_student", False):
            what = f"Your code raised {kind}."
        else:
            what = f"{kind}: {str(error)[:2000]}".rstrip(": ")
        if top is not None and top < test.hidden_from:
            shown = test.visible_lines[deepest - 1].strip() if deepest and deepest < test.hidden_from else ""
            return what + (f"\nat line {deepest} of the check: {shown}" if shown else "")
        reason = test.messages.get(deepest) if deepest else None
        if getattr(error, "from_student", False):
            reason = f"your code raised {kind}"
        return (f"A hidden test failed: {reason or test.description}. Hidden tests call your code on other "
                f"inputs (other shapes, values, seeds): re-read the exercise's contract.")
