"""Grading beyond one machine: `merge`, and the Slurm and Kubernetes recipes in deploy/.

A real single-node Slurm cluster (Debian's slurm-wlm and munge, installed when missing, started in a
temporary folder and stopped at the end) grades a lab-01 class of 6 as a 3-task job array plus the
merge job that waits for it; the merged grades.csv must equal a one-machine `grade` of the class.
merge's own rules (duplicates, missing students, idempotence, bad input) are checked on synthetic
results, without grading. The Kubernetes manifests and the Dockerfile are checked for structure:
what they run must parse with the command line's own parser.
"""
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder import __main__ as cli
from autograder import course, samples
from autograder.grading import orchestrate, reports
from autograder.lab import Lab

LAB = "01_xor_mlp"
DEPLOY = course.REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SLURM = DEPLOY / "slurm"
# The Python the grading jobs run: the environment's own folder, so that a .venv that is a symbolic
# link (a git worktree's) is bound into the sandbox at the path the kernel is started from.
PYTHON = str(Path(sys.prefix).resolve() / "bin" / Path(sys.executable).name)
GRADE_OPTIONS = ["--timeout", "60", "--memory", "1500"]


def merge(*args):
    """`python -m autograder merge LAB ARGS...` in this process: its exit status."""
    return cli.main(["merge", LAB, *map(str, args)])


# ------------------------------------------------------------------------------ synthetic results

@pytest.fixture(scope="module")
def lab():
    return Lab.load(LAB)


def result(lab, sid, seed=0, **fields):
    """A result as `grade` writes it, for student SID, with points that depend on SEED."""
    cells = {gid: test.points if (i + seed) % 3 else 0.0 for i, (gid, test) in enumerate(lab.tests.items())}
    r = {"version": orchestrate.RESULT_VERSION, "student_id": sid, "lab": lab.name, "lab_version": lab.version,
         "file": f"{sid}.ipynb", "sha256": None, "submitted_at": "2025-03-01T12:00:00+00:00",
         "time_source": "file", "lms": {"system": None, "late": None, "name": None, "submission_id": None},
         "max_score": lab.max_score, "cells": cells, "notes": [], "status": "graded",
         "checks": {gid: {"points": p, "outcome": "passed" if p else "failed", "message": "" if p else "wrong"}
                    for gid, p in cells.items()},
         "protections": "bubblewrap (test)", "score": sum(cells.values()), "cpu_seconds": 1.0, "seconds": 2.0}
    r.update(fields)
    return r


def write_shard(folder, lab, results, mtime=None):
    """FOLDER as `grade --shard` leaves it: results/, feedback/, submitted/, autograded/, logs/."""
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    for r in results:
        orchestrate.save_result(folder, r)
        reports.write_feedback(folder, lab, r)
        for kind in ("submitted", "autograded"):
            notebook = folder / kind / r["student_id"] / lab.name / lab.notebook
            notebook.parent.mkdir(parents=True, exist_ok=True)
            notebook.write_text(json.dumps({"kind": kind, "student": r["student_id"], "score": r["score"]}))
        if mtime is not None:
            path = folder / "results" / f"{r['student_id']}.json"
            os.utime(path, (mtime, mtime))
    return folder


def class_results(lab, n=7):
    return [result(lab, f"student{i}", seed=i) for i in range(n)]


def sharded(tmp_path, lab, results, n=3):
    """The class split as `grade --shard K/N` splits it, one folder per shard."""
    return [write_shard(tmp_path / f"shard-{k}", lab, [r for r in results if orchestrate.in_shard(r["student_id"], (k, n))])
            for k in range(n)]


def reference(tmp_path, lab, results):
    """grades.csv and summary.csv as one `grade` of the whole class writes them."""
    folder = tmp_path / "reference"
    folder.mkdir()
    everyone = {r["student_id"]: r for r in results}
    reports.write_grades(folder, lab, everyone)
    reports.write_summary(folder, lab, everyone)
    return folder


def snapshot(folder):
    """{relative path: bytes} of every output file (the gradebook is compared by its scores)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".work" not in p.parts and p.name != "gradebook.db"}


def test_merge_is_a_registered_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["merge", "--help"])
    out = capsys.readouterr().out
    for word in ("--out", "--expect", "--db", "duplicated", "missing"):
        assert word in out


def test_merged_shards_equal_one_grading_of_the_class(tmp_path, lab, capsys):
    results = class_results(lab)
    folders = sharded(tmp_path, lab, results)
    assert all(list((f / "results").glob("*.json")) for f in folders), "every shard must hold someone"
    final = tmp_path / "final"
    assert merge(*folders, "--out", final) == 0
    ref = reference(tmp_path, lab, results)
    assert (final / "grades.csv").read_text() == (ref / "grades.csv").read_text()
    assert (final / "summary.csv").read_text() == (ref / "summary.csv").read_text()
    sids = {r["student_id"] for r in results}
    assert {p.stem for p in (final / "feedback").glob("*.html")} == sids
    assert {p.name for p in (final / "submitted").iterdir()} == sids
    notebook = json.loads((final / "autograded" / "student3" / LAB / lab.notebook).read_text())
    assert notebook == {"kind": "autograded", "student": "student3", "score": results[3]["score"]}
    assert course.scores(final, LAB) == {r["student_id"]: r["cells"] for r in results}
    assert "db_url = 'sqlite:///" in (final / "nbgrader_config.py").read_text()
    assert f"7 students merged from 3 folder(s): 7 graded" in capsys.readouterr().out


def test_shards_that_shared_one_folder_merge_in_place(tmp_path, lab):
    results = class_results(lab, 5)
    shared = write_shard(tmp_path / "shared", lab, results)
    before = {p.name for p in (shared / "results").iterdir()}
    assert merge(shared, "--out", shared) == 0
    assert {p.name for p in (shared / "results").iterdir()} == before
    assert (shared / "grades.csv").read_text() == (reference(tmp_path, lab, results) / "grades.csv").read_text()


def test_merging_twice_gives_identical_outputs(tmp_path, lab):
    results = class_results(lab, 6)
    folders = sharded(tmp_path, lab, results)
    final = tmp_path / "final"
    assert merge(*folders, "--out", final) == 0
    first, first_scores = snapshot(final), course.scores(final, LAB)
    assert merge(*folders, "--out", final) == 0
    assert snapshot(final) == first
    assert course.scores(final, LAB) == first_scores
    # FINAL mirrors the shards: a student whose result is gone is gone from every output
    next((folders[0] / "results").glob("*.json")).unlink()
    assert merge(*folders, "--out", final) == 0
    assert len(list((final / "results").glob("*.json"))) == len(list((final / "feedback").glob("*.html"))) == 5
    assert sum(1 for _ in csv.DictReader(open(final / "grades.csv"))) == 5


def test_a_student_in_two_shards_keeps_the_newest_and_says_so(tmp_path, lab, capsys):
    old = write_shard(tmp_path / "old", lab, [result(lab, "ann", seed=1), result(lab, "bob")], mtime=1_700_000_000)
    new = write_shard(tmp_path / "new", lab, [result(lab, "ann", seed=2)], mtime=1_700_000_100)
    final = tmp_path / "final"
    assert merge(new, old, "--out", final) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("duplicated: ann"))
    assert "kept the newest" in line and str(new / "results" / "ann.json") in line
    assert str(old / "results" / "ann.json") in line.split("ignored")[1]
    rows = {row["student_id"]: row for row in csv.DictReader(open(final / "grades.csv"))}
    assert float(rows["ann"]["score"]) == result(lab, "ann", seed=2)["score"] != result(lab, "ann", seed=1)["score"]
    assert "duplicated: ann" in (final / "merge_report.txt").read_text()
    # the same folder named twice is no duplicate
    assert merge(old, old, "--out", tmp_path / "again") == 0
    assert "duplicated" not in capsys.readouterr().out


def test_missing_stale_and_unexpected_students_are_reported(tmp_path, lab, capsys):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for sid in ("ann", "bob", "cat"):
        nbformat.write(samples.blank(LAB), str(submissions / f"{sid}.ipynb"))
    digest = {sid: orchestrate.file_hash(submissions / f"{sid}.ipynb") for sid in ("ann", "bob")}
    shard = write_shard(tmp_path / "shard-0", lab, [
        result(lab, "ann", sha256=digest["ann"]),
        result(lab, "bob", sha256="0" * 64),           # graded an older upload of bob.ipynb
        result(lab, "zed", sha256="1" * 64)])          # not a student of this class
    final = tmp_path / "final"
    assert merge(shard, "--out", final, "--expect", submissions) == 1
    out = capsys.readouterr().out
    assert "missing: cat (cat.ipynb) has no result" in out
    assert "stale: bob:" in out and "unexpected: zed:" in out
    assert [row["student_id"] for row in csv.DictReader(open(final / "grades.csv"))] == ["ann", "bob"]
    (shard / "results" / "bob.json").unlink()
    write_shard(shard, lab, [result(lab, "bob", sha256=digest["bob"]),
                             result(lab, "cat", sha256=orchestrate.file_hash(submissions / "cat.ipynb"))])
    assert merge(shard, "--out", final, "--expect", submissions) == 0
    assert "every student of" in capsys.readouterr().out


@pytest.mark.parametrize("damage, message", [
    (lambda d, lab: (d / "results" / "ann.json").write_text("{not json"), "ann.json: not valid JSON"),
    (lambda d, lab: orchestrate.save_result(d, {**result(lab, "bob"), "lab": "02_activations"}),
     "bob.json: a result of 02_activations, not 01_xor_mlp"),
    (lambda d, lab: orchestrate.save_result(d, result(lab, "bob", lab_version="0123456789abcdef")),
     "bob.json: graded against another version of 01_xor_mlp"),
    (lambda d, lab: (d / "results" / "cat.json").write_text(json.dumps(result(lab, "bob"))),
     "cat.json: holds the result of student 'bob'"),
    (lambda d, lab: orchestrate.save_result(d, {**result(lab, "bob"), "cells": "all"}),
     "bob.json: field 'cells' is missing or not a dict"),
    (lambda d, lab: orchestrate.save_result(d, {**result(lab, "bob"), "version": 1}),
     "bob.json: result format 1"),
])
def test_a_bad_result_file_is_named(tmp_path, lab, capsys, damage, message):
    shard = write_shard(tmp_path / "shard-0", lab, [result(lab, "ann")])
    damage(shard, lab)
    assert merge(shard, "--out", tmp_path / "final") == 2
    err = capsys.readouterr().err
    assert str(shard / "results") in err and message in err, err
    assert not (tmp_path / "final").exists()


def test_a_folder_that_is_no_shard_is_named(tmp_path, lab, capsys):
    good = write_shard(tmp_path / "shard-0", lab, [result(lab, "ann")])
    (tmp_path / "notes").mkdir()
    assert merge(good, tmp_path / "nowhere", tmp_path / "notes", "--out", tmp_path / "final") == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nowhere'}: no such folder" in err
    assert f"{tmp_path / 'notes'}: holds no results/ folder" in err
    empty_share = tmp_path / "shard-1"            # a shard whose share of the class was empty
    (empty_share / "logs").mkdir(parents=True)
    assert merge(good, empty_share, "--out", tmp_path / "final") == 0


def test_out_holding_another_grading_is_refused(tmp_path, lab, capsys):
    shard = write_shard(tmp_path / "shard-0", lab, [result(lab, "ann")])
    graded = write_shard(tmp_path / "graded", lab, [result(lab, "bob")])   # e.g. a one-machine `grade`
    assert merge(shard, "--out", graded) == 2
    assert "holds results that `merge` did not write" in capsys.readouterr().err
    assert (graded / "results" / "bob.json").exists()


# ------------------------------------------------------------------------------------ Kubernetes

def manifests(name):
    return list(yaml.safe_load_all((KUBERNETES / name).read_text()))


def container(job):
    [c] = job["spec"]["template"]["spec"]["containers"]
    return c


def expand(words, env):
    """Kubernetes' $(VAR) expansion of command and args."""
    out = []
    for word in words:
        for key, value in env.items():
            word = word.replace(f"$({key})", value)
        out.append(word)
    return out


def parse(argv):
    """ARGV (python -m autograder ...) parsed by the command line's own parser."""
    assert argv[:3] == ["python", "-m", "autograder"], argv
    return cli.parser().parse_args(argv[3:])


def test_kubernetes_grade_job_is_an_indexed_job_of_shards():
    [job] = manifests("grade-job.yaml")
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    n = spec["completions"]
    assert 1 <= spec["parallelism"] <= n
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    c = container(job)
    env = {e["name"]: e for e in c["env"]}
    assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    assert env["SHARDS"]["value"] == str(n)
    resources = c["resources"]
    assert resources["requests"] == resources["limits"]        # a Guaranteed pod: no surprise eviction
    outs = set()
    for k in range(n):
        args = parse(expand(c["command"] + c["args"], {"JOB_COMPLETION_INDEX": str(k), "SHARDS": str(n)}))
        assert args.command == "grade" and args.lab == LAB and args.shard == f"{k}/{n}"
        assert args.out.name == f"shard-{k}"
        assert str(args.workers) == str(resources["limits"]["cpu"])
        memory_gib = float(resources["limits"]["memory"].removesuffix("Gi"))
        assert memory_gib * 1024 >= args.workers * (args.memory + 1536), "per worker: its kernel + 1.5 GiB"
        outs.add(args.out)
    assert len(outs) == n
    [mount] = c["volumeMounts"]
    [volume] = pod["volumes"]
    assert str(args.out).startswith(mount["mountPath"]) and str(args.submissions).startswith(mount["mountPath"])
    claim, _ = manifests("volume.yaml")
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["kind"] == "PersistentVolumeClaim" and claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_kubernetes_merge_job_reads_every_shard():
    [grade_job], [merge_job] = manifests("grade-job.yaml"), manifests("merge-job.yaml")
    n = grade_job["spec"]["completions"]
    g = container(grade_job)
    grade = [parse(expand(g["command"] + g["args"], {"JOB_COMPLETION_INDEX": str(k), "SHARDS": str(n)}))
             for k in range(n)]
    m = container(merge_job)
    args = parse(m["command"] + m["args"])
    assert args.command == "merge" and args.lab == grade[0].lab
    assert args.dirs == [a.out for a in grade]
    assert args.out == grade[0].out.parent and args.expect == grade[0].submissions
    assert m["image"] == g["image"] and "completionMode" not in merge_job["spec"]
    assert m["resources"]["limits"]["memory"]
    run = (KUBERNETES / "run.sh").read_text()
    order = ['apply -f "$here/grade-job.yaml"', "wait_for autograde-grade", 'apply -f "$here/merge-job.yaml"',
             "wait_for autograde-merge"]
    assert [run.index(step) for step in order] == sorted(run.index(step) for step in order)
    assert subprocess.run(["bash", "-n", KUBERNETES / "run.sh"]).returncode == 0


def test_the_image_holds_the_course_and_runs_the_cli():
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    assert lines[0].startswith("FROM python:3.11.")
    assert "apt-get install -y --no-install-recommends bubblewrap" in text
    assert "pip install --no-cache-dir -r requirements.txt" in text
    copied = [line.split()[1] for line in lines if line.startswith("COPY")]
    for path in copied:
        assert (course.REPO / path).exists(), path
    for needed in ("requirements.txt", "nbgrader_config.py", "autograder/", "solutions/", "labs/", "data/"):
        assert needed in copied
    allowed = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert all(f"!{path}" in allowed for path in copied)
    entrypoint = json.loads(next(line for line in lines if line.startswith("ENTRYPOINT")).split(None, 1)[1])
    for name in ("grade-job.yaml", "merge-job.yaml"):
        [job] = manifests(name)
        assert container(job)["command"] == entrypoint


# ----------------------------------------------------------------------------------------- Slurm

@pytest.fixture
def fake_python(tmp_path):
    """A PYTHON that prints its arguments, one a line: what a job script would run."""
    path = tmp_path / "python"
    path.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    path.chmod(0o755)
    return path


def run_script(script, args, env, cwd):
    return subprocess.run(["bash", str(SLURM / script), *map(str, args)], env={**os.environ, **env}, cwd=cwd,
                          capture_output=True, text=True)


def array_task(k, n, **more):
    return {"SLURM_ARRAY_TASK_ID": str(k), "SLURM_ARRAY_TASK_COUNT": str(n), "SLURM_ARRAY_TASK_MIN": "0",
            "SLURM_ARRAY_TASK_MAX": str(n - 1), "SLURM_CPUS_PER_TASK": "4", **more}


def test_slurm_task_grades_its_shard(tmp_path, fake_python):
    env = {"PYTHON": str(fake_python), "COURSE": str(course.REPO)}
    proc = run_script("grade.sbatch", [LAB, "/share/subs.zip", "/share/out", *GRADE_OPTIONS], {**env, **array_task(2, 3)},
                      tmp_path)
    assert proc.returncode == 0, proc.stderr
    argv = proc.stdout.splitlines()[1:]
    assert argv[:2] == ["-m", "autograder"]
    args = cli.parser().parse_args(argv[2:])
    assert (args.command, args.lab, str(args.out), args.shard, args.workers) == \
        ("grade", LAB, "/share/out/shard-2", "2/3", 4)
    assert (args.timeout, args.memory) == (60, 1500)
    # one shard of 8 again, as a one-task array: SHARDS keeps K/N
    proc = run_script("grade.sbatch", [LAB, "s", "o"], {**env, **array_task(5, 1, SLURM_ARRAY_TASK_MIN="5",
                                                                            SLURM_ARRAY_TASK_MAX="5", SHARDS="8")},
                      tmp_path)
    assert proc.returncode == 0 and "--shard\n5/8\n" in proc.stdout, proc.stderr
    # an array that is not 0..N-1 would grade the wrong shares: refused
    proc = run_script("grade.sbatch", [LAB, "s", "o"], {**env, **array_task(2, 3, SLURM_ARRAY_TASK_MIN="1",
                                                                            SLURM_ARRAY_TASK_MAX="3")}, tmp_path)
    assert proc.returncode == 2 and "the array must be 0-<N-1>" in proc.stderr
    proc = run_script("grade.sbatch", [LAB, "s", "o"], env, tmp_path)
    assert proc.returncode == 2 and "not a job-array task" in proc.stderr


def test_slurm_merge_job_reads_every_shard(tmp_path, fake_python):
    proc = run_script("merge.sbatch", [LAB, "/share/subs.zip", "/share/out", 3],
                      {"PYTHON": str(fake_python), "COURSE": str(course.REPO)}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    args = cli.parser().parse_args(proc.stdout.splitlines()[2:])
    assert args.command == "merge" and [str(d) for d in args.dirs] == [f"/share/out/shard-{k}" for k in range(3)]
    assert (str(args.out), str(args.expect)) == ("/share/out", "/share/subs.zip")
    assert subprocess.run(["bash", "-n", SLURM / "submit.sh"]).returncode == 0


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install_slurm():
    if all(shutil.which(tool) for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue")):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "slurm-wlm", "munge"]
    proc = subprocess.run(install, env=env, capture_output=True, text=True)
    if proc.returncode != 0:   # a fresh machine: the package lists first
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        proc = subprocess.run(install, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"cannot install Slurm: {' '.join(install)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


class Cluster:
    """One node, one partition: munged, slurmctld and slurmd of our own, in FOLDER, on free ports."""

    def __init__(self, folder, cpus):
        self.folder, self.daemons = folder, []
        munge = folder / "munge"
        for sub in ("state", "spool", "munge"):
            (folder / sub).mkdir(mode=0o700)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.socket = munge / "munge.socket"
        host = socket.gethostname().split(".")[0]
        memory_mb = int(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 * 0.9)
        self.conf = folder / "slurm.conf"
        self.conf.write_text(f"""ClusterName=autograde-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={self.socket}
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=grading Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        self.env = course.kernel_env(SLURM_CONF=str(self.conf))
        self._start("munged", ["munged", "--foreground", "--force", f"--key-file={key}", f"--socket={self.socket}",
                               f"--pid-file={munge}/munged.pid", f"--log-file={munge}/munged.log",
                               f"--seed-file={munge}/munged.seed"])
        self._until(lambda: self.socket.exists(), 30, "munged did not open its socket")
        self._start("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._start("slurmd", ["slurmd", "-D", "-f", str(self.conf), "-N", host])
        self._until(lambda: self.run("sinfo", "-h", "-o", "%T").stdout.strip() == "idle", 90,
                    "the node did not become idle")

    def _start(self, name, argv):
        log = open(self.folder / f"{name}.out", "w")
        self.daemons.append(subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        log.close()

    def _until(self, ready, seconds, what):
        deadline = time.monotonic() + seconds
        while not ready():
            if time.monotonic() > deadline or any(d.poll() is not None for d in self.daemons):
                self.stop()
                logs = "".join(f"\n--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.folder.glob("*.out")))
                pytest.fail(f"Slurm test cluster: {what}{logs}")
            time.sleep(1)

    def run(self, *argv, check=False):
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, check=check)

    def idle(self):
        return not self.run("squeue", "-h").stdout.strip()

    def stop(self):
        """Cancel what still runs, then stop our daemons (and only them)."""
        if self.daemons and self.daemons[-1].poll() is None:
            self.run("scancel", "--partition=grading")
            deadline = time.monotonic() + 60
            while not self.idle() and time.monotonic() < deadline:
                time.sleep(1)
        for daemon in reversed(self.daemons):
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(30)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
        self.daemons = []


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the Slurm test starts munged, slurmctld and slurmd, which need root (run the tests as root)")
    _install_slurm()
    cluster = Cluster(tmp_path_factory.mktemp("slurm"), cpus=min(2, orchestrate.default_workers()))
    yield cluster
    cluster.stop()


def sample_class(folder):
    """Lab 01's class of 6: correct, blank and 4 mutants, each in its own file."""
    notebooks = {"answered": samples.answered(LAB), "blank": samples.blank(LAB)}
    for name in ("step_at_zero_is_on", "or_and_swapped", "no_bias_update", "xnor_gates"):
        notebooks[name.replace("_", "-")] = samples.mutant(LAB, name)
    folder.mkdir()
    for sid, nb in notebooks.items():
        nbformat.write(nb, str(folder / f"{sid}.ipynb"))
    return set(notebooks)


@pytest.mark.xdist_group("slurm")
@pytest.mark.slow
def test_slurm_array_and_merge_equal_one_machine(slurm, tmp_path):
    submissions, out, one = tmp_path / "submissions", tmp_path / "out", tmp_path / "one"
    students = sample_class(submissions)
    assert all(any(orchestrate.in_shard(s, (k, 3)) for s in students) for k in range(3)), "a shard with no one"
    start = time.monotonic()
    proc = subprocess.run([str(SLURM / "submit.sh"), "--shards", "3", "--cpus", "1", "--time", "30",
                           "--python", PYTHON, LAB, str(submissions), str(out), "--", *GRADE_OPTIONS],
                          env=slurm.env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    array, merge_job = re.findall(r"\bjob (\d+)", proc.stdout)[:2]
    pending = slurm.run("squeue", "-h", "-j", merge_job, "-o", "%E").stdout
    assert f"afterok:{array}" in pending, pending
    # the same class on one machine, while the cluster grades
    local = subprocess.Popen([PYTHON, "-m", "autograder", "grade", LAB, str(submissions), "--out", str(one),
                              "--workers", "1", *GRADE_OPTIONS], cwd=course.REPO, env=course.kernel_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    local_out, _ = local.communicate(timeout=1200)
    assert local.returncode == 0, local_out[-3000:]
    deadline = time.monotonic() + 1200
    while not slurm.idle():
        assert time.monotonic() < deadline, slurm.run("squeue").stdout
        time.sleep(3)
    print(f"Slurm array of 3 and merge, with a one-machine grade beside: {time.monotonic() - start:.0f} s")
    logs = "".join(f"\n--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted((out / "slurm").glob("*.out")))
    for job in (f"{array}_0", f"{array}_1", f"{array}_2", merge_job):
        state = slurm.run("scontrol", "show", "job", job).stdout
        assert "JobState=COMPLETED" in state, state + logs
    for k in range(3):
        assert {p.stem for p in (out / f"shard-{k}" / "results").glob("*.json")} == \
            {s for s in students if orchestrate.in_shard(s, (k, 3))}
    assert (out / "grades.csv").read_text() == (one / "grades.csv").read_text(), logs
    assert {row["student_id"] for row in csv.DictReader(open(out / "grades.csv"))} == students
    assert "every student of" in (out / "merge_report.txt").read_text()
    assert course.scores(out, LAB) == course.scores(one, LAB)
