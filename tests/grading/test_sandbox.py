"""The sandbox's pieces one by one: cgroup limits (v1 and v2), fail-closed start, socket handles, output caps."""
import json
import os
import socket
import stat
import subprocess
import sys

import pytest

from autograder.grading import cgroups, kernel, sandbox

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="bubblewrap as uid 65534 and cgroups need root here")


def fake_v1(tmp_path):
    mounts, own = {}, {}
    for controller in ("memory", "pids", "cpuacct", "cpu"):
        base = tmp_path / controller / "grader"
        base.mkdir(parents=True)
        mounts[controller], own[controller] = str(tmp_path / controller), "/grader"
    return mounts, own


def test_cgroup_v1_limits_are_written_per_controller(tmp_path, monkeypatch):
    mounts, own = fake_v1(tmp_path)
    monkeypatch.setattr(cgroups.Path, "rmdir", lambda self: None)  # a fake tree: folders keep their files
    hierarchy = cgroups.Hierarchy.find(own=own, mounts=mounts)
    assert hierarchy.version == 1
    group = hierarchy.create("autograder-1/alice", 1500 << 20, 256, cpu_quota=2)
    memory = tmp_path / "memory" / "grader" / "autograder-1" / "alice"
    assert (memory / "memory.limit_in_bytes").read_text() == str(1500 << 20)
    assert (tmp_path / "pids" / "grader" / "autograder-1" / "alice" / "pids.max").read_text() == "256"
    assert (tmp_path / "cpu" / "grader" / "autograder-1" / "alice" / "cpu.cfs_quota_us").read_text() == "200000"
    assert sorted(group.procs_files()) == sorted(
        str(tmp_path / c / "grader" / "autograder-1" / "alice" / "cgroup.procs") for c in ("memory", "pids", "cpuacct", "cpu"))
    (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert group.oom_kill_count() == 2 and group.oom_killed()


def test_cgroup_v2_moves_the_grader_into_a_leaf_and_delegates(tmp_path):
    base = tmp_path / "unified" / "grader.scope"
    base.mkdir(parents=True)
    (base / "cgroup.controllers").write_text("cpu memory pids io")
    (base / "cgroup.procs").write_text("4242\n")
    hierarchy = cgroups.Hierarchy.find(own={"": "/grader.scope"}, mounts={"": str(tmp_path / "unified")})
    assert hierarchy.version == 2
    assert (base / "grader" / "cgroup.procs").read_text() == "4242"  # out of the way of "no internal processes"
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    group = hierarchy.create("autograder-1/bob", 1 << 30, 100, cpu_quota=1)
    folder = base / "autograder-1" / "bob"
    assert (folder / "memory.max").read_text() == str(1 << 30) and (folder / "pids.max").read_text() == "100"
    assert (folder / "cpu.max").read_text() == "100000 100000"
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.oom_killed() and group.procs_files() == [str(folder / "cgroup.procs")]


def test_no_cgroup_controllers_means_no_grading(tmp_path, monkeypatch):
    with pytest.raises(cgroups.CgroupUnavailable, match="no cgroup memory or pids controller"):
        cgroups.Hierarchy.find(own={"": "/"}, mounts={})
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/bwrap")
    monkeypatch.setattr(cgroups.Hierarchy, "find", classmethod(lambda cls: (_ for _ in ()).throw(
        cgroups.CgroupUnavailable("no cgroup memory controller"))))
    with pytest.raises(sandbox.SandboxUnavailable, match="no cgroup memory controller.*--unsafe-no-sandbox"):
        sandbox.Sandbox.prepare()


def test_no_bubblewrap_means_no_grading(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.Sandbox.prepare()
    assert sandbox.Sandbox.prepare(unsafe=True).protections() == "none (--unsafe-no-sandbox)"


def test_the_grader_opens_only_real_sockets_never_links_or_fifos(tmp_path):
    launched = sandbox.Launched(proc=None, socket_dir=str(tmp_path), cgroup=None, workdir=str(tmp_path))
    real = socket.socket(socket.AF_UNIX)
    real.bind(str(tmp_path / "kernel-1"))
    elsewhere = socket.socket(socket.AF_UNIX)
    elsewhere.bind(str(tmp_path / "host.sock"))
    os.symlink(tmp_path / "host.sock", tmp_path / "kernel-2")   # a kernel pointing the grader elsewhere
    os.mkfifo(tmp_path / "kernel-3")                              # ... or making it block on a FIFO
    (tmp_path / "kernel-4").write_text("a file")
    fd = launched.open_socket("kernel-1")
    assert fd is not None and stat.S_ISSOCK(os.fstat(fd).st_mode)
    os.close(fd)
    for name in ("kernel-2", "kernel-3", "kernel-4", "kernel-5"):
        assert launched.open_socket(name) is None, name
    real.close()
    elsewhere.close()


class FakeKernel:
    output_limits = kernel.OutputLimits(cell_bytes=2000, notebook_bytes=5000, images_per_cell=2, flood_bytes=10_000)
    received = 0


def message(kind, content, parent="m1"):
    return {"msg_type": kind, "content": content, "parent_header": {"msg_id": parent}, "header": {"msg_type": kind},
            "metadata": {}}


def test_outputs_are_capped_per_cell_and_per_notebook():
    run = kernel.CellRun()
    collector = kernel._Collector("m1", run, FakeKernel())
    for _ in range(50):
        collector.add(message("stream", {"name": "stdout", "text": "x" * 100}))
    image = {"data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}, "metadata": {}}
    for _ in range(5):
        collector.add(message("display_data", image))
    collector.add(message("display_data", {"data": {"text/html": "<script>alert(1)</script>",
                                                    "application/javascript": "alert(2)", "text/plain": "p"},
                                           "metadata": {}}))
    collector.add(message("stream", {"name": "stdout", "text": "from another request"}, parent="m2"))
    assert run.truncated
    assert sum(len(o.get("text", "")) for o in run.outputs) <= 2000
    assert sum(1 for o in run.outputs if "image/png" in o.get("data", {})) <= 2
    assert all(set(o.get("data", {})) <= set(kernel.SAFE_MIME) for o in run.outputs)
    assert "from another request" not in str(run.outputs)


@needs_root
def test_a_real_sandbox_sees_nothing_and_holds_nothing():
    box = sandbox.Sandbox.prepare()
    seen = box.probe()
    assert seen["ok"] and seen["uid"] == sandbox.SANDBOX_UID and seen["pid"] <= 3 and not seen["net"]
    assert seen["caps"] == "0000000000000000" and seen["nnp"] == "1"
    pythons = {os.path.realpath(p).split("/")[1] for p in (sys.prefix, sys.base_prefix)}
    assert set(seen["root"]) <= {"bin", "course", "dev", "etc", "home", "lib", "lib64", "proc", "run", "sbin", "tmp",
                                 "usr"} | pythons, seen["root"]  # what it runs on, nothing else of the host
    assert "bubblewrap" in box.protections() and "cgroup" in box.protections()


@needs_root
def test_a_course_under_tmp_gets_its_python_in_the_sandbox(tmp_path):
    """The sandbox's /tmp is its own tmpfs: a venv under the host's /tmp (a clone in /tmp) must still
    be bound in, on top of it, or no kernel can start there."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    code = ("import json, sys\nfrom autograder.grading import sandbox\nseen = sandbox.Sandbox.prepare().probe()\n"
            "print(json.dumps({'ok': seen['ok'], 'error': seen.get('error'), 'prefix': sys.prefix}))")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    site = next(p for p in sys.path if p.endswith("site-packages"))
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=repo, env=dict(os.environ, PYTHONPATH=f"{repo}:{site}"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["prefix"].startswith(str(tmp_path)) and seen["ok"], seen
