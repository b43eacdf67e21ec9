"""Kernel launcher that confines one student's code, then execs the real kernel.

    python autograder/sandbox.py [--memory MB] [--hide PATH ...] [--keep PATH ...] -- CMD ...

`grade` writes a kernel spec whose argv starts with this script, so nbgrader's own kernel start
goes through it. It runs as a script (stdlib only) so the kernel never needs the autograder
package, and it execs CMD in place: the kernel keeps this process's pid, so nbgrader's
interrupt (per-cell timeout) and kill still reach it. What it does, each step best effort and
reported by `--probe`:

1. resource limits: RLIMIT_DATA = MB (heap, anonymous mappings and thread stacks: a memory bomb
   fails with MemoryError instead of taking the machine), RLIMIT_FSIZE (no file over 512 MB),
   RLIMIT_CORE = 0 (a segfault leaves no core dump);
2. an unprivileged user namespace (`unshare(2)`, no root needed) with its own network namespace
   (only a loopback interface that is down: no network at all; the kernel talks to nbgrader over
   Unix sockets, `transport = ipc`) and its own mount namespace, in which every --hide path is
   covered by an empty read-only tmpfs (or /dev/null for a file) into which only the --keep
   folders inside it are bind-mounted back (the kernel's own folder, its connection files, the
   Python environment, the course data); --hide-writable gives a writable empty tmpfs instead
   (for the temporary folder);
3. the kernel runs as a non-root user inside that namespace, so it holds no capability there and
   cannot unmount what hides the files;
4. the environment is reduced to a short allow-list (no tokens or credentials leak into it).
"""
import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "TMPDIR", "USER", "LOGNAME",
            "TF_CPP_MIN_LOG_LEVEL", "DL_LABS_DATA", "NBGRADER_EXECUTION", "PYTHONWARNINGS",
            "MPLBACKEND", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR", "JPY_PARENT_PID", "PYDEVD_DISABLE_FILE_VALIDATION",
            "CUDA_VISIBLE_DEVICES", "XLA_FLAGS", "TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS",
            "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def set_limits(memory_mb):
    report = {}
    for name, limit in (("RLIMIT_CORE", 0), ("RLIMIT_FSIZE", 512 << 20),
                        ("RLIMIT_DATA", memory_mb << 20 if memory_mb else None)):
        if limit is None:
            continue
        try:
            resource.setrlimit(getattr(resource, name), (limit, limit))
            report[name] = limit
        except (ValueError, OSError) as error:
            report[name] = f"failed: {error}"
    return report


def enter_namespaces():
    """New user + mount + network namespaces; the caller is uid INNER (not root) inside."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare")
    inner_uid, inner_gid = (uid or 1000), (gid or 1000)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{inner_uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{inner_gid} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)


def _inside(path, other):
    return path == other or path.startswith(other.rstrip("/") + "/")


def hide(path, keep, handles, hidden, writable=False):
    """Cover PATH with an empty tmpfs; where PATH holds KEEP paths, bind only those back into it.

    The kept folders are re-attached from file handles opened before any mount, so PATH shows
    nothing else, not even files created there later, and `..` from a kept folder leads into the
    empty tmpfs, not into what it hides.
    """
    path = os.path.realpath(path)
    if not os.path.lexists(path) or any(_inside(path, k) for k in keep):
        return
    inner = [k for k in keep if _inside(k, path)]
    inner = [k for k in inner if not any(o != k and _inside(k, o) for o in inner)]  # outermost only
    if not os.path.isdir(path):
        _mount("/dev/null", path, None, MS_BIND)
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        hidden.append(path)
        return
    flags = MS_NOSUID | MS_NODEV
    options = "size=256m,mode=1777" if writable else "size=64k,mode=755"
    _mount("tmpfs", path, "tmpfs", flags, options)
    for k in inner:
        if os.path.isdir(f"/proc/self/fd/{handles[k]}"):
            os.makedirs(k, exist_ok=True)
        else:  # a kept file (the kernel's connection file)
            os.makedirs(os.path.dirname(k), exist_ok=True)
            open(k, "a").close()
        _mount(f"/proc/self/fd/{handles[k]}", k, None, MS_BIND | MS_REC)
    if not writable:
        _mount(None, path, None, MS_REMOUNT | MS_RDONLY | flags, options)
    hidden.append(path)


def confine(memory_mb, hide_paths, keep_paths, writable=()):
    report = {"limits": set_limits(memory_mb), "namespaces": False, "network": True, "hidden": [],
              "kept": sorted({os.path.realpath(k) for k in keep_paths})}
    keep = sorted({os.path.realpath(k) for k in keep_paths if os.path.exists(k)})
    cwd = os.getcwd()
    try:
        enter_namespaces()
    except OSError as error:
        report["error"] = str(error)
        return report
    handles = {k: os.open(k, os.O_PATH) for k in keep}  # in the new namespace, before any mount
    report["namespaces"] = True
    report["network"] = False
    writable = {os.path.realpath(w) for w in writable}
    for path in sorted({os.path.realpath(p) for p in hide_paths}, key=len):
        try:
            hide(path, keep, handles, report["hidden"], writable=path in writable)
        except OSError as error:
            report.setdefault("hide_errors", []).append(str(error))
    for fd in handles.values():
        os.close(fd)
    try:
        os.chdir(cwd)  # through the new mounts: `..` no longer reaches what is hidden
    except OSError as error:
        report.setdefault("hide_errors", []).append(f"chdir: {error}")
    return report


def main(argv):
    if "--" in argv:
        split = argv.index("--")
        options, command = argv[:split], argv[split + 1:]
    else:
        options, command = argv, []
    memory, hides, keeps, probe = 0, [], [os.getcwd(), sys.prefix, sys.base_prefix], False
    writable, report_path = [], None
    it = iter(options)
    for option in it:
        if option == "--memory":
            memory = int(next(it))
        elif option == "--hide":
            hides.append(next(it))
        elif option == "--keep":
            keeps.append(next(it))
        elif option == "--hide-writable":
            writable.append(next(it))
            hides.append(writable[-1])
        elif option == "--report":
            report_path = next(it)
        elif option == "--probe":
            probe = True
    if "-f" in command:  # the kernel's connection file must stay readable
        keeps.append(os.path.abspath(command[command.index("-f") + 1]))
    report = confine(memory, hides, keeps, writable)
    if report_path:
        with open(report_path, "w") as f:
            json.dump(report, f)
    if probe:
        report["visible"] = {p: sorted(os.listdir(p)) for p in report["hidden"] if os.path.isdir(p)}
        try:
            import socket
            socket.create_connection(("1.1.1.1", 53), timeout=2).close()
            report["network_reachable"] = True
        except OSError:
            report["network_reachable"] = False
        print(json.dumps(report))
        return 0
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith("LC_")}
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
