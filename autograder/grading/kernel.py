"""A student's IPython kernel in its sandbox, driven over the Jupyter protocol.

The grader is the client: it runs the notebook's cells (`run_cell`), keeps their outputs within
bounds, interrupts a cell past its time limit (and kills a kernel that ignores the interrupt), and
notices a kernel that died, ran out of memory, used too much CPU time or flooded its output. It also
starts the grader's agent in the kernel (`serve_begin` / `serve_end` bracket a checker cell) and
waits on the agent's socket (`wait_readable`) while watching all of the above.
"""
import json
import os
import secrets
import socket
import sys
import time
from dataclasses import dataclass, field

import nbformat
import zmq
from jupyter_client import BlockingKernelClient

from . import sandbox as sandboxing

CHANNELS = {"shell": 1, "iopub": 2, "stdin": 3, "control": 4, "hb": 5}
START_TIMEOUT = 120       # seconds for a kernel to start and answer, on a loaded machine
INTERRUPT_GRACE = 5       # seconds a kernel gets to stop a cell after an interrupt
MAX_MESSAGE = 32 << 20    # bytes in one Jupyter message
SAFE_MIME = ("text/plain", "image/png", "image/jpeg")


class KernelGone(Exception):
    """The kernel died, was killed for a limit, or broke the protocol. `why` is a status word."""

    def __init__(self, why, detail=""):
        super().__init__(detail or why)
        self.why = why   # "crash", "memory", "timeout", "cpu", "output"


@dataclass
class OutputLimits:
    cell_bytes: int = 1 << 20
    notebook_bytes: int = 16 << 20
    images_per_cell: int = 10
    flood_bytes: int = 256 << 20    # everything the kernel sends: past this it is killed


@dataclass
class CellRun:
    outputs: list = field(default_factory=list)
    status: str = "ok"                # ok, error, timeout (interrupted or killed), died
    truncated: bool = False


class _Client(BlockingKernelClient):
    """A kernel client that reaches each socket through a file handle (no path lookups, no symlinks)."""

    handles = {}

    def _make_url(self, channel):
        return f"ipc:///proc/self/fd/{self.handles[channel]}"


class StudentKernel:
    def __init__(self, sandbox, limits, name, log_path, threads=1, cpu_seconds=None, outputs=None):
        self.sandbox, self.limits, self.name = sandbox, limits, name
        self.log_path, self.threads, self.cpu_seconds = log_path, threads, cpu_seconds
        self.output_limits = outputs or OutputLimits()
        self.launched = self.client = self.agent = None
        self.received = 0          # bytes of output kept, for the notebook's cap
        self.flood = 0             # bytes of every message, for the kill switch
        self.generation = 0        # incremented by every (re)start
        self.cpu_before = 0.0      # CPU seconds of earlier incarnations

    # ------------------------------------------------------------------------------ life cycle

    def start(self):
        self.generation += 1
        key = secrets.token_hex(32)
        info = {"transport": "ipc", "ip": f"{sandboxing.RUN}/sockets/kernel", "key": key,
                "signature_scheme": "hmac-sha256", "kernel_name": "",
                **{f"{channel}_port": port for channel, port in CHANNELS.items()}}
        argv = [sys.executable, *sandboxing.KERNEL_ARGS, "-f", f"{sandboxing.RUN}/kernel.json"]
        with open(self.log_path, "ab") as log:
            self.launched = self.sandbox.launch(f"{self.name}-{self.generation}", self.limits, argv,
                                                files={f"{sandboxing.RUN}/kernel.json": json.dumps(info)},
                                                log=log, threads=self.threads)
        try:
            handles = self._wait_for_sockets([f"kernel-{port}" for port in CHANNELS.values()])
            context = zmq.Context()
            context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
            client = _Client(context=context)
            client.load_connection_info(dict(info, key=key))
            client.handles = {channel: handles[f"kernel-{port}"] for channel, port in CHANNELS.items()}
            client.start_channels(hb=False)
            self.client, self._handles = client, list(handles.values())
            self._wait_for_ready()
            boot = self.run_cell(f"import autograder_agent\nautograder_agent.listen({self.launched.run_dir + '/sockets/agent'!r})",
                                 timeout=60, store_history=False)
            if boot.status != "ok":
                raise KernelGone("crash", "the grader's agent did not start in the kernel")
            (agent,) = self._wait_for_sockets(["agent"]).values()
            self.agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.agent.settimeout(30)
            self.agent.connect(f"/proc/self/fd/{agent}")
            self.agent.settimeout(None)
            os.close(agent)
        except BaseException:
            self.stop()
            raise

    def _wait_for_ready(self):
        """kernel_info until the kernel answers on shell and IOPub (jupyter_client's wait_for_ready
        cannot tell a dead kernel without heartbeats)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            msg_id = self.client.kernel_info()
            until = time.monotonic() + 1
            while time.monotonic() < until:
                self._poll(0.2)
                if self._shell_reply(msg_id) is not None:
                    self._poll(0.2)
                    if self.client.iopub_channel.msg_ready():
                        self._drain_iopub(None)
                        return
                    break
            if not self.alive():
                raise KernelGone("crash", f"the kernel exited while starting (see its log, {self.log_path})")
            if time.monotonic() > deadline:
                raise KernelGone("crash", f"the kernel did not answer within {START_TIMEOUT} s")

    def _wait_for_sockets(self, names, timeout=START_TIMEOUT):
        handles, deadline = {}, time.monotonic() + timeout
        while len(handles) < len(names):
            for name in names:
                if name not in handles:
                    fd = self.launched.open_socket(name)
                    if fd is not None:
                        handles[name] = fd
            if len(handles) == len(names):
                break
            if self.launched.proc.poll() is not None or time.monotonic() > deadline:
                for fd in handles.values():
                    os.close(fd)
                raise KernelGone("crash", f"the kernel did not start (see its log, {self.log_path})")
            time.sleep(0.05)
        return handles

    def stop(self):
        """Kill the kernel's sandbox and everything in it."""
        if self.launched is not None:
            self.cpu_before += self.cpu_used_now()
            self.oom = self.launched.cgroup.oom_killed() if self.launched.cgroup else False
            self.launched.kill()
        if self.client is not None:
            self.client.stop_channels()
            self.client.context.destroy(linger=0)
        if self.agent is not None:
            self.agent.close()
        for fd in getattr(self, "_handles", []):
            os.close(fd)
        self.launched = self.client = self.agent = None
        self._handles = []

    def restart(self):
        self.stop()
        self.start()

    def alive(self):
        return self.launched is not None and self.launched.proc.poll() is None

    def cpu_used_now(self):
        cgroup = self.launched.cgroup if self.launched else None
        return cgroup.usage_seconds() if cgroup else 0.0

    def cpu_used(self):
        return self.cpu_before + self.cpu_used_now()

    def oom_kills(self):
        """How many processes of this kernel's cgroup were killed at its memory limit (children too)."""
        cgroup = self.launched.cgroup if self.launched else None
        return cgroup.oom_kill_count() if cgroup is not None else 0

    def at_memory_limit(self):
        """Whether this kernel's memory use has reached its limit: a kernel that dies or stalls then
        (the system reclaiming its pages instead of killing it) ran out of memory."""
        cgroup = self.launched.cgroup if self.launched else None
        return cgroup is not None and (cgroup.oom_kill_count() > 0 or cgroup.limit_hits() > 0)

    def why_gone(self):
        """Why a dead kernel died: "memory" when its cgroup hit the memory limit, else "crash"."""
        cgroup = self.launched.cgroup if self.launched else None
        if cgroup is not None and cgroup.oom_killed():
            return "memory"
        return "crash"

    def interrupt(self):
        msg = self.client.session.msg("interrupt_request", {})
        self.client.control_channel.send(msg)

    # ------------------------------------------------------------------------------ waiting

    def _check(self):
        """Raise KernelGone if the kernel died or is over its CPU-time limit."""
        if not self.alive():
            raise KernelGone(self.why_gone())
        if self.cpu_seconds is not None and self.cpu_used() > self.cpu_seconds:
            raise KernelGone("cpu", f"used more than {self.cpu_seconds:g} s of CPU time")

    def _poll(self, timeout, extra=None):
        poller = zmq.Poller()
        poller.register(self.client.iopub_channel.socket, zmq.POLLIN)
        poller.register(self.client.shell_channel.socket, zmq.POLLIN)
        if extra is not None:
            poller.register(extra, zmq.POLLIN)
        return dict(poller.poll(max(0, timeout) * 1000))

    def _drain_iopub(self, sink):
        """Route every waiting IOPub message to SINK(msg) (or drop it), counting bytes."""
        channel = self.client.iopub_channel
        while channel.msg_ready():
            try:
                msg = channel.get_msg(timeout=0)
            except Exception:  # a malformed or forged message: count it, drop it
                self.flood += 1024
                continue
            self.flood += len(json.dumps(msg.get("content", {}), default=str))
            if self.flood > self.output_limits.flood_bytes:
                raise KernelGone("output", "the kernel sent more output than the grader accepts")
            if sink is not None:
                sink(msg)

    def _shell_reply(self, msg_id):
        channel = self.client.shell_channel
        while channel.msg_ready():
            try:
                msg = channel.get_msg(timeout=0)
            except Exception:
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    def wait_readable(self, sock, deadline, sink=None):
        """Wait until SOCK is readable, draining IOPub into SINK; KernelGone or TimeoutError otherwise."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            events = self._poll(min(left, 0.5), sock)
            self._drain_iopub(sink)
            if any(fd == sock.fileno() or fd is sock for fd in events):
                return
            self._check()

    # ------------------------------------------------------------------------------ running code

    def run_cell(self, source, timeout, store_history=True):
        """Run SOURCE as a notebook cell; a CellRun with its outputs (bounded) and how it ended."""
        run = CellRun()
        msg_id = self.client.execute(source, store_history=store_history, allow_stdin=False, stop_on_error=False)
        collector = _Collector(msg_id, run, self)
        deadline, interrupted = time.monotonic() + timeout, None
        reply = None
        try:
            while reply is None or not collector.idle:
                now = time.monotonic()
                if interrupted is None and now > deadline:
                    self.interrupt()
                    interrupted = now
                elif interrupted is not None and now > interrupted + INTERRUPT_GRACE:
                    raise KernelGone("timeout", "the cell ignored the interrupt and was killed")
                self._poll(0.2)
                self._drain_iopub(collector.add)
                reply = reply or self._shell_reply(msg_id)
                if reply is None or not collector.idle:
                    self._check()
        except KernelGone as gone:
            run.status = "died"
            if self.at_memory_limit():  # stalled or killed at the memory limit: that is the cause
                gone.why = "memory"
            raise
        if interrupted is not None:
            run.status = "timeout"
        elif reply["content"].get("status") != "ok":
            run.status = "error"
        return run

    def serve_begin(self):
        """Start the agent's serving loop (an execute_request); the checker then talks on the socket."""
        self.serving = _Collector(None, CellRun(), self)
        msg_id = self.client.execute("autograder_agent.serve()", store_history=False, allow_stdin=False,
                                     stop_on_error=False)
        self.serving.msg_id = msg_id
        return msg_id

    def serve_end(self, msg_id, timeout):
        """Wait for the serving request to finish; the outputs it produced (stderr counts against a check)."""
        deadline = time.monotonic() + timeout
        reply = None
        while reply is None or not self.serving.idle:
            if time.monotonic() > deadline:
                raise KernelGone("timeout", "the kernel did not finish serving the grader")
            self._poll(0.2)
            self._drain_iopub(self.serving.add)
            reply = reply or self._shell_reply(msg_id)
            if reply is None or not self.serving.idle:
                self._check()
        return self.serving.run


class _Collector:
    """Turns one request's IOPub messages into notebook outputs, within the output limits."""

    def __init__(self, msg_id, run, kernel):
        self.msg_id, self.run, self.kernel = msg_id, run, kernel
        self.idle, self.clear_pending, self.bytes, self.images = False, False, 0, 0

    def add(self, msg):
        if msg.get("parent_header", {}).get("msg_id") != self.msg_id:
            return
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            self.idle = content.get("execution_state") == "idle"
            return
        if kind == "clear_output":
            if content.get("wait"):
                self.clear_pending = True
            else:
                self.run.outputs.clear()
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if self.clear_pending:
            self.run.outputs.clear()
            self.clear_pending = False
        try:
            output = nbformat.v4.output_from_msg(msg)
        except (ValueError, KeyError, TypeError):
            return
        _keep_safe_mime(output)
        size = len(json.dumps(output, default=str))
        limits = self.kernel.output_limits
        is_image = any(k.startswith("image/") for k in output.get("data", {}))
        if (self.bytes + size > limits.cell_bytes or self.kernel.received + size > limits.notebook_bytes
                or (is_image and self.images >= limits.images_per_cell)):
            self.run.truncated = True
            if kind == "error":  # the kind of error still counts; its text is dropped
                self.run.outputs.append(nbformat.v4.new_output("error", ename=output.get("ename", "Error"),
                                                               evalue="", traceback=[]))
            return
        self.bytes += size
        self.kernel.received += size
        self.images += is_image
        last = self.run.outputs[-1] if self.run.outputs else None
        if kind == "stream" and last is not None and last.output_type == "stream" and last.name == output.name:
            last.text += output.text
        else:
            self.run.outputs.append(output)


def _keep_safe_mime(output):
    """Drop every MIME type that a browser would run or render as HTML (formgrader shows these outputs)."""
    if "data" in output:
        for key in list(output.data):
            if key not in SAFE_MIME:
                del output.data[key]
        output.metadata = {k: v for k, v in output.get("metadata", {}).items() if k in SAFE_MIME}
