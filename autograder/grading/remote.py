"""The checker's side of the channel to a student's kernel: requests, callbacks and proxies.

Everything that comes back from the student is rebuilt by `agent.Codec.decode` as exact base types
(numbers, strings, bools, None, lists, tuples, dicts, numpy arrays of numeric dtypes). What is not
data stays in the student's kernel and arrives as a `Remote` handle: its attribute reads, calls,
indexing, len() and iteration are asked of the kernel and return data or further handles; no
operator is forwarded (a student's `==` or `<` never decides a check), and its repr is the grader's.
Student exceptions arrive by kind only: a builtin exception type, or `StudentException`, with a
message the grader wrote. Warnings the student's code raised are re-raised here, so a check's
`warnings.simplefilter("error")` applies to them (their text only where it is one of numpy's).
"""
import builtins
import re
import socket
import time
import warnings

import numpy as np

from . import agent as wire

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.<>]{0,199}$")
NUMPY_WARNING = re.compile(r"^(overflow|underflow|invalid value|divide by zero) encountered in [a-z_ ]{1,40}$")
ERRSTATE_VALUES = {"ignore", "warn", "raise", "print"}
DATA_TYPES = (int, float, complex, str, bytes, list, tuple, dict, set, frozenset, np.ndarray, np.generic)
BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                  if isinstance(value, type) and issubclass(value, Exception)}
BUILTIN_WARNINGS = {name for name, value in vars(builtins).items()
                    if isinstance(value, type) and issubclass(value, Warning)}


class Lost(BaseException):
    """The student's kernel can no longer answer (crash, time or memory limit, broken protocol).

    A BaseException, so that a check's own `except Exception` cannot swallow it."""

    def __init__(self, why, detail=""):
        super().__init__(detail or why)
        self.why = why


class StudentException(Exception):
    """An exception of a type that is not Python's own, raised by the student's code."""


def student_error(reply):
    """The exception a student's "raise" reply stands for, with a message the grader wrote."""
    name = reply.get("type") if type(reply.get("type")) is str else ""
    kind = getattr(builtins, name) if name in BUILTIN_ERRORS and reply.get("builtin") is True else StudentException
    error = kind("raised by your code")
    error.from_student = True
    error.student_type = name if kind is not StudentException or IDENTIFIER.match(name) else "Exception"
    return error


def replay_warnings(items):
    """Re-raise the student's warnings here, under the check's own warning filters."""
    if type(items) is not list:
        return
    for item in items[:wire.MAX_WARNINGS]:
        if type(item) is not list or len(item) != 2 or not all(type(x) is str for x in item):
            continue
        name, text = item
        category = getattr(builtins, name) if name in BUILTIN_WARNINGS else UserWarning
        message = text if NUMPY_WARNING.match(text) else f"{category.__name__} in your code"
        warnings.warn_explicit(message, category, "<your code>", 0)


def _apply_mutation(original, new):
    """Copy what the student's call did to an argument back into the checker's object, in place."""
    if isinstance(original, np.random.Generator) and isinstance(new, np.random.Generator):
        original.bit_generator.state = new.bit_generator.state  # the draws the student's code took
        return original
    if isinstance(original, np.ndarray) and isinstance(new, np.ndarray):
        if original.flags.writeable and original.shape == new.shape:
            original[...] = new
            return original
        return new
    if type(original) is list and type(new) is list:
        if len(original) == len(new):
            original[:] = [_apply_mutation(a, b) for a, b in zip(original, new)]
        else:
            original[:] = new
        return original
    if type(original) is dict and type(new) is dict:
        for key in [k for k in original if k not in new]:
            del original[key]
        for key, value in new.items():
            original[key] = _apply_mutation(original[key], value) if key in original else value
        return original
    if type(original) is tuple and type(new) is tuple and len(original) == len(new):
        for a, b in zip(original, new):
            _apply_mutation(a, b)
        return original
    return new


class Channel:
    """Requests to one student kernel's agent during a checker cell; answers its callbacks."""

    def __init__(self, kernel, call_timeout):
        self.kernel, self.call_timeout = kernel, call_timeout
        self.codec = wire.Codec(self._outgoing, self._incoming)
        self.callbacks, self.depth, self.deadline = {}, 0, None
        self.classes = {}

    # ---------------------------------------------------------------------------- values

    def _outgoing(self, value):
        if isinstance(value, Remote):
            return value._ref()
        import keras

        if isinstance(value, keras.Model):
            return {"$t": "keras_model", "model": self.codec.encode(wire.model_spec(value))}
        if isinstance(value, keras.callbacks.History):
            return {"$t": "keras_history", "history": self.codec.encode(dict(value.history)),
                    "params": self.codec.encode(dict(value.params or {})),
                    "epoch": self.codec.encode(list(getattr(value, "epoch", [])))}
        if callable(value):
            self.callbacks[id(value)] = value
            return {"$t": "ref", "side": "c", "id": id(value)}
        raise TypeError(f"a {type(value).__name__} cannot be passed to student code (only data, Keras models, "
                        f"histories and functions)")

    def _incoming(self, node, depth):
        tag = node.get("$t")
        if tag in ("keras_model", "keras_history"):
            return self._keras(node, depth)
        if tag != "ref" or type(node.get("id")) is not int:
            raise wire.WireError("an unexpected tag from the student's kernel")
        if node.get("side") == "c":
            if node["id"] not in self.callbacks:
                raise wire.WireError("a reference to no function of the check")
            return self.callbacks[node["id"]]
        if node.get("side") != "s" or set(node) != {"$t", "side", "id", "mro"}:
            raise wire.WireError("a malformed reference")
        mro = node["mro"]
        if type(mro) is not list or not mro or len(mro) > 16 or not all(
                type(p) is list and len(p) == 2 and all(type(s) is str and IDENTIFIER.match(s) for s in p)
                for p in mro):
            raise wire.WireError("a reference with a malformed class")
        return self._remote_class(tuple(map(tuple, mro)))(self, {"$t": "ref", "side": "s", "id": node["id"]})

    def _keras(self, node, depth):
        """A student's model or history as this process's own object, rebuilt from data; else a handle."""
        import keras

        fields = {"keras_model": {"$t", "model", "ref"}, "keras_history": {"$t", "history", "params", "epoch", "ref"}}
        if set(node) != fields[node["$t"]]:
            raise wire.WireError("a malformed Keras object")
        handle = self.codec.decode(node["ref"], depth + 1)
        if node["$t"] == "keras_history":
            history, params, epoch = (self.codec.decode(node[key], depth + 1) for key in ("history", "params", "epoch"))
            if type(history) is not dict or type(params) is not dict or type(epoch) is not list:
                raise wire.WireError("a malformed Keras history")
            rebuilt = keras.callbacks.History()
            rebuilt.history, rebuilt.params, rebuilt.epoch = history, params, epoch
            return rebuilt
        spec = self.codec.decode(node["model"], depth + 1)
        try:
            if type(spec) is not dict or not _keras_only(spec.get("config")):
                return handle
            return wire.rebuild_model(spec)
        except Exception:  # a model this process cannot rebuild (a custom layer): it stays remote
            return handle

    def _remote_class(self, mro):
        if mro not in self.classes:
            name = mro[0][1].rsplit(".", 1)[-1]
            self.classes[mro] = type(name if name.isidentifier() else "Remote", (Remote,),
                                     {"__slots__": (), "_mro": mro})
        return self.classes[mro]

    # ---------------------------------------------------------------------------- requests

    def request(self, message):
        """Send MESSAGE to the agent; answer callbacks until its reply. Returns the reply message."""
        if self.depth == 0:
            self.deadline = time.monotonic() + self.call_timeout
        self.depth += 1
        try:
            self._send(message)
            while True:
                reply = self._receive()
                op = reply.get("op")
                if op in ("return", "raise"):
                    return reply
                if op == "call":
                    self._send(self._callback(reply))
                    continue
                raise Lost("protocol", "an unexpected message from the student's kernel")
        finally:
            self.depth -= 1

    def value(self, message):
        """The decoded value of MESSAGE's reply; the student's exception if it raised."""
        reply = self.request(message)
        replay_warnings(reply.get("warnings"))
        if reply["op"] == "raise":
            raise student_error(reply)
        try:
            return self.codec.decode(reply.get("value"))
        except wire.WireError as error:
            raise Lost("protocol", str(error)) from None

    def call(self, target, args, kwargs):
        errstate = {k: v if v in ERRSTATE_VALUES else "warn" for k, v in np.geterr().items()}
        reply = self.request({"op": "call", "target": target, "args": self.codec.encode(list(args)),
                              "kwargs": self.codec.encode(dict(kwargs)), "errstate": errstate})
        replay_warnings(reply.get("warnings"))
        if reply["op"] == "raise":
            raise student_error(reply)
        try:
            mutated = reply.get("mutated") or {}
            for index, node in (mutated.get("args") or {}).items():
                if type(index) is str and index.isdigit() and int(index) < len(args):
                    _apply_mutation(args[int(index)], self.codec.decode(node))
            for key, node in (mutated.get("kwargs") or {}).items():
                if key in kwargs:
                    _apply_mutation(kwargs[key], self.codec.decode(node))
            return self.codec.decode(reply.get("value"))
        except (wire.WireError, AttributeError, TypeError) as error:
            raise Lost("protocol", f"a malformed answer ({error})") from None

    def _callback(self, message):
        target = self.codec.decode(message.get("target"))
        if not any(target is f for f in self.callbacks.values()):
            raise Lost("protocol", "a callback to no function of the check")
        args, kwargs = self.codec.decode(message.get("args")), self.codec.decode(message.get("kwargs"))
        if type(args) is not list or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
            raise Lost("protocol", "a malformed callback")
        try:
            return {"op": "return", "value": self.codec.encode(target(*args, **kwargs))}
        except Exception as error:
            return {"op": "raise", "type": type(error).__name__, "builtin": type(error).__module__ == "builtins"}

    def _send(self, message):
        try:
            wire.send_frame(self.kernel.agent, message)
        except (OSError, wire.WireError) as error:
            raise Lost(self._why(), f"cannot reach the student's kernel ({error})") from None

    def _receive(self):
        sock = self.kernel.agent
        try:
            self.kernel.wait_readable(sock, self.deadline, sink=self.kernel.serving.add)
            sock.settimeout(max(0.1, self.deadline - time.monotonic()))
            message = wire.recv_frame(sock)
        except TimeoutError:
            raise Lost("timeout", f"a call into your code ran past {self.call_timeout:g} s") from None
        except socket.timeout:
            raise Lost("timeout", "your kernel stopped in the middle of an answer") from None
        except EOFError:
            raise Lost(self._why(), "the student's kernel closed the connection") from None
        except wire.WireError as error:
            raise Lost("protocol", str(error)) from None
        except Exception as error:
            why = getattr(error, "why", None)
            if why:
                raise Lost(why, str(error)) from None
            raise
        finally:
            sock.settimeout(None)
        if type(message) is not dict:
            raise Lost("protocol", "a message that is not an object")
        return message

    def _why(self):
        return self.kernel.why_gone() if not self.kernel.alive() else "protocol"


def _keras_only(config, depth=0):
    """Whether every object CONFIG names comes from Keras itself (no Lambda, no other module)."""
    if depth > 64:
        return False
    if type(config) is dict:
        if "class_name" in config:
            module = config.get("module")
            if config["class_name"] in ("Lambda", "function", "TorchModuleWrapper") or not (
                    type(module) is str and (module == "keras" or module.startswith("keras."))):
                return False
        return all(_keras_only(v, depth + 1) for v in config.values())
    if type(config) in (list, tuple):
        return all(_keras_only(v, depth + 1) for v in config)
    return True


class Remote:
    """An object that lives in the student's kernel."""
    __slots__ = ("_channel", "_node", "_generation")
    _mro = ()

    def __init__(self, channel, node):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_node", node)
        object.__setattr__(self, "_generation", channel.kernel.generation)

    def _ref(self):
        if self._generation != self._channel.kernel.generation:
            raise RuntimeError("this value came from your kernel before it was restarted")
        return self._node

    def __getattr__(self, name):
        if name.startswith("__") and name not in ("__name__", "__qualname__", "__module__", "__doc__"):
            raise AttributeError(name)  # numpy and copy probe dunders: answer here, not remotely
        return self._channel.value({"op": "getattr", "target": self._ref(), "name": name})

    def __setattr__(self, name, value):
        raise AttributeError("objects from student code are read-only in a check")

    def __call__(self, *args, **kwargs):
        return self._channel.call(self._ref(), args, kwargs)

    def __getitem__(self, key):
        return self._channel.value({"op": "getitem", "target": self._ref(), "key": self._channel.codec.encode(key)})

    def __len__(self):
        value = self._channel.value({"op": "len", "target": self._ref()})
        if type(value) is not int or value < 0:
            raise TypeError("len() of an object from student code must be a non-negative int")
        return value

    def __iter__(self):
        value = self._channel.value({"op": "iter", "target": self._ref()})
        return iter(value if type(value) is list else [])

    def __bool__(self):
        return self._channel.value({"op": "bool", "target": self._ref()}) is True

    def __array__(self, dtype=None, copy=None):
        value = self._channel.value({"op": "array", "target": self._ref()})
        if not isinstance(value, (np.ndarray, np.generic)):
            raise TypeError("np.asarray() of an object from student code gave no numeric array")
        return np.asarray(value, dtype=dtype)

    def __float__(self):
        return float(self.__array__())

    def __int__(self):
        return int(self.__array__())

    def __repr__(self):
        return f"<{type(self).__name__} from your code>"

    __str__ = __repr__

    @property
    def __class__(self):
        """The checker's own class of the same name, when it has one (isinstance(fig, plt.Figure))."""
        import sys

        for module, qualname in self._mro:
            if module in ("builtins", "__main__") or module.split(".")[0] == "numpy":
                continue
            value = sys.modules.get(module)
            for part in qualname.split("."):
                value = getattr(value, part, None) if value is not None and part.isidentifier() else None
            if isinstance(value, type) and not issubclass(value, DATA_TYPES):
                return value  # data types are never claimed: a float or an array here is always the real one
        return type(self)
