"""The fixed set of statuses a student's row can have, and the events that lead to them."""

GRADED = "graded"
INVALID = "invalid notebook"
MISSING = "missing notebook"
TIMEOUT = "timeout"
MEMORY = "memory limit"
DIED = "kernel died"
OUTPUT = "output limit"
ERROR = "grading error"
ALL = (GRADED, INVALID, MISSING, TIMEOUT, MEMORY, DIED, OUTPUT, ERROR)

# What can happen to a kernel while it is graded (a KernelGone's or Lost's `why`).
EVENT_STATUS = {"crash": DIED, "protocol": DIED, "memory": MEMORY, "timeout": TIMEOUT, "cpu": TIMEOUT,
                "output": OUTPUT}
EVENT_TEXT = {"crash": "the kernel crashed", "protocol": "the notebook broke the grader's connection to it",
              "memory": "the memory limit was hit", "timeout": "the time limit was hit",
              "cpu": "the CPU-time limit was hit", "output": "the output limit was hit"}
EXPLAIN = {
    TIMEOUT: "a cell or a call into your code ran past the time limit and was stopped (an endless loop?); "
             "the checks that needed it got no points, the others went on",
    MEMORY: "your code used more memory than allowed and was stopped; the checks that needed it got no points",
    DIED: "the Python kernel crashed (os._exit, a segfault, ...); the grader restarted it and went on",
    OUTPUT: "your code printed or displayed more than allowed and was stopped",
    MISSING: "no .ipynb file was found for you",
    INVALID: "the file could not be read as this lab's notebook",
    ERROR: "the grader itself failed on your notebook; your instructor has the log",
}


def from_events(whys):
    """The status of a graded notebook: that of its first event, or graded."""
    return EVENT_STATUS[whys[0]] if whys else GRADED
