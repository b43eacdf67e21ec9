"""Limits that count a whole process tree: the kernel's cgroups, v2 or v1, whichever holds the controllers.

A sandboxed student kernel runs in a cgroup of its own with a memory limit (children included), a
process-count limit and CPU accounting (`usage_seconds`, which the grader turns into a CPU-time
limit) plus an optional CPU-rate quota. The grader makes those cgroups below the one it runs in:

- cgroup v2 (one hierarchy, `/sys/fs/cgroup`): the grader's own cgroup must be writable (root, or a
  delegated scope: `systemd-run --user --scope -p Delegate=yes ...`) with the memory and pids
  controllers available. A v2 cgroup holding processes cannot enable controllers for its children,
  so the grader first moves itself into a leaf child (`grader`), as systemd's delegation asks.
- cgroup v1 (one hierarchy per controller, as on many container hosts): memory, pids and cpuacct
  (cpu for the quota) each get a child cgroup below the grader's own.

A kernel joins its cgroup before it starts anything (its launcher writes its own pid into each
`cgroup.procs` before it becomes the sandbox), so every process it forks is counted. Nothing here is guessed: `Hierarchy.find` raises
`CgroupUnavailable` naming what is missing, and grading refuses to start (fail closed).
"""
import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
NEEDED = ("memory", "pids")          # without these, no limit counts the tree: refuse
V1_DIRS = {"memory": "memory", "pids": "pids", "cpuacct": "cpuacct", "cpu": "cpu"}


class CgroupUnavailable(Exception):
    """The limits cannot be set up; str(e) says what is missing and how to get it."""


def _own_paths():
    """{controller or '' (v2): path of this process's cgroup} from /proc/self/cgroup."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _mounts():
    """{controller or '' (v2): mount point} of the cgroup filesystems, from /proc/self/mountinfo."""
    mounts = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        fstype, options = fields[separator + 1], fields[separator + 3].split(",")
        if fstype == "cgroup2":
            mounts.setdefault("", fields[4])
        elif fstype == "cgroup":
            for name in options:
                if name in V1_DIRS:
                    mounts[name] = fields[4]
    return mounts


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


class Hierarchy:
    """Where this grader makes its kernels' cgroups: {controller: base folder}, version 1 or 2."""

    def __init__(self, version, bases):
        self.version, self.bases = version, bases

    @classmethod
    def find(cls, root=CGROUP_ROOT, own=None, mounts=None):
        own = own if own is not None else _own_paths()
        mounts = mounts if mounts is not None else _mounts()
        if "" in mounts and "" in own:
            base = Path(mounts[""]) / own[""].lstrip("/")
            available = set((base / "cgroup.controllers").read_text().split()) \
                if (base / "cgroup.controllers").exists() else set()
            if set(NEEDED) <= available:
                return cls._v2(base, available)
        missing = [name for name in NEEDED if name not in mounts]
        if missing:
            raise CgroupUnavailable(
                f"no cgroup {' or '.join(missing)} controller is available (neither cgroup v2 with "
                f"memory and pids delegated to this process, nor cgroup v1 mounts): limits on the whole "
                f"process tree are impossible here. Run as root, or under a delegated systemd scope "
                f"(systemd-run --user --scope -p Delegate=yes python -m autograder grade ...), or inside "
                f"a container or pod with its own cgroup (README: grading in a container)")
        bases = {}
        for name in ("memory", "pids", "cpuacct", "cpu"):
            if name in mounts:
                bases[name] = Path(mounts[name]) / own.get(name, "/").lstrip("/")
        hierarchy = cls(1, bases)
        hierarchy._check_writable()
        return hierarchy

    @classmethod
    def _v2(cls, base, available):
        leaf = base / "grader"
        try:
            if (base / "cgroup.procs").read_text().split():
                leaf.mkdir(exist_ok=True)
                for pid in (base / "cgroup.procs").read_text().split():
                    try:
                        _write(leaf / "cgroup.procs", pid)
                    except ProcessLookupError:
                        pass
            wanted = [name for name in ("memory", "pids", "cpu") if name in available]
            _write(base / "cgroup.subtree_control", " ".join(f"+{name}" for name in wanted))
        except OSError as error:
            raise CgroupUnavailable(f"cannot delegate cgroup v2 controllers below {base} ({error}): run as "
                                    f"root or under systemd-run --user --scope -p Delegate=yes") from None
        return cls(2, {"": base})

    def _check_writable(self):
        for name, base in self.bases.items():
            probe = base / f"autograder-probe-{os.getpid()}"
            try:
                probe.mkdir()
                probe.rmdir()
            except OSError as error:
                if name in NEEDED:
                    raise CgroupUnavailable(f"cannot create a cgroup below {base} ({error.strerror}): run "
                                            f"as root, or in a container or pod with its own cgroup") from None
                del self.bases[name]

    def describe(self):
        return f"cgroup v{self.version}"

    def create(self, name, memory_bytes, pids_max, cpu_quota=None):
        """A new Cgroup NAME (a path below the grader's own) with these limits."""
        return Cgroup(self, name, memory_bytes, pids_max, cpu_quota)

    def remove_tree(self, prefix):
        """Kill what is left in the cgroups named PREFIX* and remove them (a killed worker's)."""
        for base in self.bases.values():
            for folder in sorted(p for p in base.glob(f"{prefix}*") if p.is_dir()):
                _kill_members(folder)
                _remove(folder)


class Cgroup:
    """One kernel's cgroup (one folder per v1 controller, or one v2 folder)."""

    def __init__(self, hierarchy, name, memory_bytes, pids_max, cpu_quota):
        self.version = hierarchy.version
        self.folders = {}
        try:
            for controller, base in hierarchy.bases.items():
                folder = base / name
                folder.mkdir(parents=True, exist_ok=True)
                self.folders[controller] = folder
            self._limit(memory_bytes, pids_max, cpu_quota)
        except OSError as error:
            self.remove()
            raise CgroupUnavailable(f"cannot set up the cgroup {name}: {error}") from None

    def _file(self, controller, v1_name, v2_name):
        folder = self.folders.get("" if self.version == 2 else controller)
        return None if folder is None else folder / (v2_name if self.version == 2 else v1_name)

    def _limit(self, memory_bytes, pids_max, cpu_quota):
        _write(self._file("memory", "memory.limit_in_bytes", "memory.max"), memory_bytes)
        swap = self._file("memory", "memory.memsw.limit_in_bytes", "memory.swap.max")
        if swap is not None and swap.exists():
            _write(swap, memory_bytes if self.version == 1 else 0)  # no swapping past the limit
        _write(self._file("pids", "pids.max", "pids.max"), pids_max)
        if cpu_quota:
            period = 100_000
            if self.version == 2:
                _write(self._file("cpu", "", "cpu.max"), f"{int(cpu_quota * period)} {period}")
            elif "cpu" in self.folders:
                _write(self.folders["cpu"] / "cpu.cfs_period_us", period)
                _write(self.folders["cpu"] / "cpu.cfs_quota_us", int(cpu_quota * period))

    def procs_files(self):
        """The cgroup.procs files a process writes its pid into to join (one per v1 controller)."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def pids(self):
        return _members(self.folders.get("" if self.version == 2 else "pids") or next(iter(self.folders.values())))

    def _read(self, controller, v1_name, v2_name):
        path = self._file(controller, v1_name, v2_name)
        try:
            return path.read_text() if path is not None else ""
        except OSError:
            return ""

    def oom_kill_count(self):
        """How many processes of this cgroup the out-of-memory killer killed (its memory limit was hit)."""
        text = self._read("memory", "memory.oom_control", "memory.events")
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(counts.get("oom_kill", 0))

    def oom_killed(self):
        return self.oom_kill_count() > 0

    def limit_hits(self):
        """How often this cgroup's memory use reached its limit (then the kernel reclaims or kills)."""
        if self.version == 2:
            text = self._read("memory", "", "memory.events")
            counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
            return int(counts.get("max", 0))
        text = self._read("memory", "memory.failcnt", "").strip()
        return int(text) if text.isdigit() else 0

    def memory_peak(self):
        text = self._read("memory", "memory.max_usage_in_bytes", "memory.peak")
        return int(text) if text.strip().isdigit() else 0

    def usage_seconds(self):
        """CPU time used by every process of the cgroup so far (user + system)."""
        if self.version == 2:
            text = self._read("cpu", "", "cpu.stat")
            stats = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
            return int(stats.get("usage_usec", 0)) / 1e6
        text = self._read("cpuacct", "cpuacct.usage", "")
        return int(text) / 1e9 if text.strip().isdigit() else 0.0

    def kill_all(self):
        """SIGKILL every process left in the cgroup (v2: cgroup.kill), until it is empty."""
        if self.version == 2 and (self.folders[""] / "cgroup.kill").exists():
            try:
                _write(self.folders[""] / "cgroup.kill", 1)
            except OSError:
                pass
        for folder in self.folders.values():
            _kill_members(folder)
        return not self.pids()

    def remove(self):
        self.kill_all()
        for folder in self.folders.values():
            _remove(folder)


def _members(folder):
    try:
        return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _kill_members(folder, tries=100):
    """SIGKILL the processes of the cgroup FOLDER until it is empty (a fork can race one round)."""
    for _ in range(tries):
        pids = _members(folder)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _remove(folder):
    """rmdir the (empty) cgroup FOLDER, waiting briefly for the kernel to let its dead processes go."""
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
