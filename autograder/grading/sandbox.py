"""The student kernel's sandbox: bubblewrap for namespaces and mounts, cgroups for limits. Fail closed.

What a sandboxed kernel sees (an allow-list, nothing else of the host, of other runs or of the
repository):
- a read-only root made of /usr (with /bin, /lib, /lib64, /sbin), the Python installation and the
  virtual environment (read-only, at their host paths), the lab's data at /course/data (read-only),
  a minimal /etc (ld.so.cache, a passwd and group naming only the sandbox user), its own /proc and a
  minimal /dev;
- a private, empty, size-capped HOME (/home/student, also its working folder) and /tmp, and
  /run/grader (its connection file, the grader's agent module and the socket the agent talks on);
- its own user, PID, mount, network (loopback only, down), IPC and UTS namespaces, no
  capabilities, no new privileges, no further user namespaces; run as root, the grader starts it as
  uid 65534, which owns nothing outside;
- limits on the whole process tree (cgroups): memory, number of processes, CPU rate; and per
  process RLIMIT_FSIZE (its log) and no core dumps. Killing the sandbox kills everything it started:
  bubblewrap's init is PID 1 of the namespace, and the cgroup is emptied afterwards.

The grader never opens a path the kernel can write: it reaches the kernel's sockets through file
handles opened with O_NOFOLLOW (`/proc/self/fd/N`), and what the kernel writes to stdout and stderr
goes to a log file the grader opened (capped by RLIMIT_FSIZE, read back with a size cap).

`Sandbox.prepare()` checks every protection once, by starting a real sandbox, and raises
SandboxUnavailable naming the missing piece and how to get it. `--unsafe-no-sandbox` (never
advised) runs kernels as plain processes; every result then says so.
"""
import json
import os
from shlex import quote
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import course
from . import cgroups

SANDBOX_UID = SANDBOX_GID = 65534
HOME = "/home/student"
RUN = "/run/grader"
DATA = "/course/data"
AGENT = Path(__file__).with_name("agent.py")
KERNEL_ARGS = ["-m", "ipykernel_launcher", "--HistoryManager.hist_file=:memory:",
               "--IPKernelApp.capture_fd_output=False"]
INSTALL_HINT = "install it: apt-get install bubblewrap (Debian, Ubuntu), dnf install bubblewrap (Fedora)"


class SandboxUnavailable(course.CourseError):
    """A protection cannot be set up; grading refuses to start (fail closed)."""


@dataclass
class Limits:
    memory_mb: int = 4096
    pids: int = 256
    cpu_cores: float = None      # CPU-rate quota for the whole kernel (None: unlimited)
    disk_mb: int = 256           # each of HOME and /tmp
    log_mb: int = 64             # the largest file it may write (its log of stdout and stderr included)


def _memfd(name, data):
    fd = os.memfd_create(name, 0)
    os.write(fd, data.encode() if isinstance(data, str) else data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def thread_env(threads):
    """Variables that size the numeric libraries' thread pools: THREADS each, so that N workers on
    C cores, each a checker beside a kernel, share the cores instead of spinning on them."""
    threads = str(threads)
    return {"OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "TF_NUM_INTRAOP_THREADS": threads,
            "TF_NUM_INTEROP_THREADS": threads}


def kernel_env(threads):
    """The kernel's whole environment (bubblewrap clears the grader's)."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": HOME, "USER": "student",
        "LANG": "C.UTF-8", "TF_CPP_MIN_LOG_LEVEL": "3", "DL_LABS_DATA": DATA, "NBGRADER_EXECUTION": "autograde",
        "PYTHONWARNINGS": "ignore", "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": f"{RUN}/lib", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": f"{HOME}/.ipython", "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false", **thread_env(threads),
        # the GPUs this worker may use (Slurm's, or the instructor's choice), when it was given some
        **({"CUDA_VISIBLE_DEVICES": os.environ["CUDA_VISIBLE_DEVICES"]} if "CUDA_VISIBLE_DEVICES" in os.environ else {}),
    }


@dataclass
class Launched:
    """A started kernel: its process, where the grader reaches its sockets, and its cgroup."""
    proc: subprocess.Popen
    socket_dir: str         # host path of the folder holding the kernel's ipc sockets
    cgroup: object          # cgroups.Cgroup or None
    workdir: str            # host folder to delete afterwards
    status: object = None   # bubblewrap's status pipe, open while the sandbox lives
    run_dir: str = RUN      # RUN as the kernel sees it (the host folder itself without a sandbox)

    def open_socket(self, name):
        """An O_PATH, O_NOFOLLOW handle on the kernel's socket NAME, or None if it is not (yet) a socket."""
        try:
            fd = os.open(os.path.join(self.socket_dir, name), os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return fd

    def kill(self):
        """Kill the sandbox and everything it started; remove its cgroup and folder."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.status is not None:
            self.status.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _child_pid(status, proc, timeout=60):
    """The sandbox's PID 1 (host pid), from bubblewrap's --json-status-fd; None if it failed to start."""
    import select

    buffer = b""
    if True:  # the pipe stays open until the sandbox ends: bubblewrap writes its exit status there too
        while select.select([status], [], [], timeout)[0]:
            chunk = os.read(status.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            try:
                return int(json.loads(buffer.split(b"\n")[0])["child-pid"])
            except (ValueError, KeyError):
                continue
    proc.poll()
    return None


def gpu_binds():
    """bubblewrap arguments that give the kernel this host's NVIDIA GPUs (none on a machine without):
    the control devices and, when CUDA_VISIBLE_DEVICES names GPUs by number, only those, so that
    student code cannot reach another worker's GPU by changing the variable."""
    wanted = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    numbers = set(wanted.split(",")) if wanted and all(p.isdigit() for p in wanted.split(",")) else None
    args = []
    for device in sorted(Path("/dev").glob("nvidia*")):
        number = device.name[len("nvidia"):]
        if device.is_dir() or (numbers is not None and number.isdigit() and number not in numbers):
            continue
        args += ["--dev-bind", str(device), str(device)]
    for folder in ("/usr/local/nvidia", "/usr/local/cuda"):  # drivers and CUDA outside /usr (containers)
        if args and Path(folder).is_dir():
            args += ["--ro-bind", folder, folder]
    return args


class Sandbox:
    """What this host offers for kernels: bubblewrap and a cgroup hierarchy (or nothing, if unsafe)."""

    def __init__(self, bwrap, hierarchy, uid, extra):
        self.bwrap, self.hierarchy, self.uid, self.extra = bwrap, hierarchy, uid, extra

    @classmethod
    def prepare(cls, unsafe=False):
        if unsafe:
            return cls(None, None, None, [])
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed, and grading runs student code only "
                                     f"inside it: {INSTALL_HINT}; or pass --unsafe-no-sandbox (not advised)")
        try:
            hierarchy = cgroups.Hierarchy.find()
        except cgroups.CgroupUnavailable as error:
            raise SandboxUnavailable(f"{error}; or pass --unsafe-no-sandbox (not advised)") from None
        uid = SANDBOX_UID if os.geteuid() == 0 else None
        sandbox = cls(bwrap, hierarchy, uid, [])
        for extra in (["--unshare-user", "--disable-userns"], ["--unshare-user"]):  # hardening that needs a recent kernel: use it where it works
            sandbox.extra = extra
            probe = sandbox.probe()
            if probe["ok"]:
                return sandbox
        raise SandboxUnavailable(
            f"bubblewrap cannot start a sandbox here: {probe['error']}. Where user namespaces are refused "
            f"(Docker's default seccomp profile, Ubuntu >= 23.10's AppArmor rule for unprivileged user "
            f"namespaces) see README, 'Grading inside a container'; or pass --unsafe-no-sandbox (not advised)")

    @property
    def safe(self):
        return self.bwrap is not None

    def protections(self):
        """One line for grades.csv and the feedback: which protections applied."""
        if not self.safe:
            return "none (--unsafe-no-sandbox)"
        who = f"uid {self.uid}" if self.uid is not None else "the grader's uid, mapped"
        return (f"bubblewrap (user, pid, mount, net, ipc, uts namespaces; {who}; read-only allow-listed root) "
                f"+ {self.hierarchy.describe()} (memory, pids, cpu)")

    def probe(self):
        """Start a throw-away sandbox that reports what it sees: {'ok': bool, 'error' or what it saw}."""
        code = ("import json, os, socket\nseen = {'uid': os.getuid(), 'pid': os.getpid(), 'root': sorted(os.listdir('/')),"
                "'nnp': open('/proc/self/status').read().split('NoNewPrivs:')[1].split()[0],"
                "'caps': open('/proc/self/status').read().split('CapEff:')[1].split()[0]}\n"
                "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=1); seen['net'] = True\n"
                "except OSError:\n    seen['net'] = False\nprint(json.dumps(seen))")
        try:
            launched = self.launch("probe", Limits(memory_mb=512, pids=32), [sys.executable, "-c", code],
                                   capture=True)
        except SandboxUnavailable as error:
            return {"ok": False, "error": str(error)}
        try:
            out, err = launched.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            launched.kill()
            return {"ok": False, "error": "the probe sandbox did not finish within 60 s"}
        finally:
            launched.kill()
        if launched.proc.returncode != 0:
            return {"ok": False, "error": (err or b"").decode(errors="replace").strip()[-500:] or
                    f"exit status {launched.proc.returncode}"}
        seen = json.loads(out.decode().strip().splitlines()[-1])
        problems = [what for what, bad in (("network reachable", seen["net"]), ("not in its own PID namespace", seen["pid"] > 3),
                                           ("runs as root", seen["uid"] == 0), ("holds capabilities", int(seen["caps"], 16)),
                                           ("may gain privileges", seen["nnp"] != "1")) if bad]
        if problems:
            return {"ok": False, "error": "the sandbox is not isolated: " + ", ".join(problems)}
        return {"ok": True, **seen}

    def launch(self, name, limits, argv, files=None, log=None, capture=False, threads=1):
        """Start ARGV (a kernel) in a new sandbox. FILES: {path inside: text} placed read-only."""
        workdir = tempfile.mkdtemp(prefix="ag-")  # short: Unix socket paths are limited to 107 bytes
        env = kernel_env(threads)
        stdout = stderr = subprocess.PIPE if capture else (log if log is not None else subprocess.DEVNULL)
        if not self.safe:
            os.chmod(workdir, 0o700)
            return self._launch_unsafe(workdir, argv, files or {}, env, stdout, stderr)
        os.chmod(workdir, 0o711)  # the sandbox uid passes through it to the staged folders, lists nothing
        fds, cgroup = [], None
        try:
            # Folders bound read-only at their host paths (the data at DATA). Run as root, the grader
            # first binds them onto a staging tmpfs in a private mount namespace: the sandbox uid need
            # not be able to traverse their parents (a Python under /root, a venv in a 0700 home).
            sources = {os.path.realpath(p): os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
            sources[str(course.DATA.resolve())] = DATA
            links = {p: os.path.realpath(p) for p in (sys.prefix, sys.base_prefix) if os.path.realpath(p) != p}
            script = []
            if self.uid is not None:
                stage = f"{workdir}/stage"
                os.mkdir(stage)
                script.append(f"mount -t tmpfs -o size=64k,mode=0755 autograder-stage {quote(stage)} || exit 125")
                staged = {}
                for number, (source, target) in enumerate(sources.items()):
                    script += [f"mkdir {stage}/{number}",
                               f"mount --bind -o ro {quote(source)} {stage}/{number} || exit 125"]
                    staged[f"{stage}/{number}"] = target
                sources = staged
            args = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                    *self.extra, "--clearenv"]
            for key, value in env.items():
                args += ["--setenv", key, value]
            args += ["--ro-bind", "/usr", "/usr"]
            for top in ("bin", "lib", "lib64", "sbin"):
                path = Path("/") / top
                if path.is_symlink():
                    args += ["--symlink", os.readlink(path), str(path)]
                elif path.is_dir():
                    args += ["--ro-bind", str(path), str(path)]
            for shared in ("/etc/ld.so.cache", "/etc/fonts"):  # libraries and fonts: nothing personal
                if Path(shared).exists():
                    args += ["--ro-bind", shared, shared]
            # The writable tmpfs folders first: a course checked out under /tmp (its venv, its data)
            # is then bound on top of the sandbox's /tmp instead of being hidden by it.
            size = str(limits.disk_mb << 20)
            args += ["--size", size, "--tmpfs", "/tmp", "--size", size,
                     "--tmpfs", HOME, "--size", str(1 << 20), "--tmpfs", RUN, "--dir", f"{RUN}/lib",
                     "--dir", f"{RUN}/sockets"]
            for source, target in sources.items():
                args += ["--ro-bind", source, target]
            for link, target in links.items():  # a symlinked venv: the kernel is started by that name
                args += ["--symlink", target, link]
            args += ["--proc", "/proc", "--dev", "/dev"] + gpu_binds()
            uid = self.uid if self.uid is not None else os.getuid()
            gid = SANDBOX_GID if self.uid is not None else os.getgid()
            placed = {"/etc/passwd": f"student:x:{uid}:{gid}:student:{HOME}:/bin/sh\n",
                      "/etc/group": f"student:x:{gid}:\n", f"{RUN}/lib/autograder_agent.py": AGENT.read_text(),
                      **(files or {})}
            for path, text in placed.items():
                fd = _memfd(os.path.basename(path), text)
                fds.append(fd)
                args += ["--perms", "0444", "--ro-bind-data", str(fd), path]
            status_read, status_write = os.pipe()
            fds += [status_read, status_write]
            args += ["--remount-ro", "/"]  # bubblewrap's own root tmpfs: nothing may be written outside the caps
            args += ["--json-status-fd", str(status_write), "--chdir", HOME, "--"] + list(argv)
            cgroup = self.hierarchy.create(f"autograder-{os.getpid()}-{name}", limits.memory_mb << 20, limits.pids,
                                           limits.cpu_cores)
            # The launcher: join the cgroups (everything it starts is counted), no core dumps, a cap on
            # the largest file (its log), then become the sandbox uid and bubblewrap.
            script = [f"echo $$ > {quote(path)} || exit 125" for path in cgroup.procs_files()] + \
                ["ulimit -c 0", f"ulimit -f {limits.log_mb * 2048}"] + script
            drop = ["setpriv", f"--reuid={self.uid}", f"--regid={SANDBOX_GID}", "--clear-groups"] \
                if self.uid is not None else []
            script.append("exec " + " ".join(quote(a) for a in drop + args))
            command = ["/bin/sh", "-c", "\n".join(script)]
            if self.uid is not None:
                command = ["unshare", "--mount", "--propagation", "private", "--"] + command
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                    pass_fds=[fd for fd in fds if fd != status_read], start_new_session=True)
            status = os.fdopen(os.dup(status_read), "rb")
        except BaseException:
            if cgroup is not None:
                cgroup.remove()
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        finally:
            for fd in fds:
                os.close(fd)
        launched = Launched(proc, None, cgroup, workdir, status)
        child = _child_pid(status, proc)
        if child is None:
            launched.kill()
            err = proc.stderr.read().decode(errors="replace")[-500:] if capture else ""
            raise SandboxUnavailable(f"bubblewrap did not start the sandbox (exit status {proc.returncode}) {err}")
        launched.socket_dir = f"/proc/{child}/root{RUN}/sockets"  # the sandbox's own view of its tmpfs
        return launched

    def _launch_unsafe(self, workdir, argv, files, env, stdout, stderr):
        """No sandbox at all: the paths the kernel is told about are the host's (RUN -> WORKDIR)."""
        os.makedirs(f"{workdir}/lib")
        os.makedirs(f"{workdir}/sockets")
        shutil.copy(AGENT, f"{workdir}/lib/autograder_agent.py")
        translate = lambda text: text.replace(RUN, workdir)  # noqa: E731
        for path, text in files.items():
            if path.startswith(RUN):
                Path(translate(path)).write_text(translate(text))
        env = dict(env, HOME=workdir, DL_LABS_DATA=str(course.DATA), PYTHONPATH=f"{workdir}/lib",
                   MPLCONFIGDIR=f"{workdir}/matplotlib", IPYTHONDIR=f"{workdir}/ipython")
        proc = subprocess.Popen([translate(a) for a in argv], stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr, env=env, cwd=workdir, start_new_session=True)
        return Launched(proc, f"{workdir}/sockets", None, workdir, run_dir=workdir)
