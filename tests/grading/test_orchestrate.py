"""The worker pool's share of the machine (the rest of orchestrate is tested through `grade`, test_grade.py)."""
from pathlib import Path

from autograder.grading import orchestrate, sandbox


def test_each_checker_gets_its_share_of_the_cores_as_its_kernel_does(tmp_path, monkeypatch):
    """Two workers on two cores: one thread each, for the checker as for the kernel. Unsized, each
    checker's TensorFlow and BLAS pools are as wide as the machine: N workers on C cores start N x C
    threads (on 2 cores the CPU a lab-05 notebook costs did not change measurably either way)."""
    monkeypatch.setattr(orchestrate, "default_workers", lambda: 2)
    assert orchestrate.threads_per_worker(2) == 1 and orchestrate.threads_per_worker(1) == 2
    assert orchestrate.threads_per_worker(8) == 1
    with open(tmp_path / "workers.log", "w") as log:
        worker = orchestrate.Worker(log, unsafe=True, threads=orchestrate.threads_per_worker(2))
        try:
            raw = Path(f"/proc/{worker.proc.pid}/environ").read_bytes().decode()
        finally:
            worker.kill()
    environ = dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)
    for name, value in sandbox.thread_env(1).items():
        assert environ.get(name) == value == sandbox.kernel_env(1)[name], name
