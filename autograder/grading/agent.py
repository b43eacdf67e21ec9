"""The grader's agent inside a student's kernel, and the plain-data wire format both sides speak.

This file is copied read-only into every sandbox as `autograder_agent` and imported by the student's
kernel, where student code can change anything in it: nothing the agent says is trusted. The checker
(the grader's trusted process) imports the same file for the wire format and trusts only what
`Codec.decode` rebuilds: exact base types, checked sizes, no pickle, no eval.

Wire: frames of a 4-byte big-endian length and UTF-8 JSON, on a Unix socket the agent listens on
(the checker connects). Values are JSON scalars and lists plus tagged objects:
  {"$t": "tuple", "v": [...]}            {"$t": "dict", "k": [...], "v": [...]}
  {"$t": "nd", "d": "<f8", "s": [2, 3], "b": base64, "scalar": false}   numeric or bool arrays only
  {"$t": "rng", "state": {...}}          a numpy Generator (numpy's own bit generators), by its state
  {"$t": "tensor", "v": {"$t": "nd", ...}}   a TensorFlow tensor, by its values: a tensor again where
                                         TensorFlow is loaded (so a check can tell a tensor from an array)
  {"$t": "ref", "side": "s"|"c", "id": n, "mro": [[module, qualname], ...]}   an object left where it lives
  {"$t": "keras_model", "model": {config, weights, compile, optimizer, history}}   a Keras model, both ways (the
  student's side adds "ref", its handle); {"$t": "keras_history", "history", "params", "epoch"} likewise
Messages: the checker asks {"op": "resolve"|"call"|"getattr"|"getitem"|"len"|"bool"|"iter"|"array"|
"seed"|"end", ...}; a student call may call back into the checker ({"op": "call"} on a
"c" reference) before it answers {"op": "return", "value", "mutated", "warnings"} or
{"op": "raise", "type", "builtin"}.
"""
import base64
import builtins
import json
import socket
import struct
import sys
import warnings

import numpy as np

FRAME = struct.Struct(">I")
MAX_FRAME = 64 << 20           # bytes in one message
MAX_DEPTH = 48                 # nesting of lists, tuples and dicts
MAX_NDIM = 32
DTYPES = {"|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"}
BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                  if isinstance(value, type) and issubclass(value, Exception)}
MAX_WARNINGS = 20


class WireError(Exception):
    """Malformed or oversized data on the wire."""


# ------------------------------------------------------------------------------------------- framing

def send_frame(sock, message):
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise WireError(f"a message of {len(data)} bytes is over the {MAX_FRAME}-byte limit")
    sock.sendall(FRAME.pack(len(data)) + data)


def _read_exactly(sock, count):
    chunks, left = [], count
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock):
    """The next message (a JSON value), or WireError; EOFError when the peer is gone."""
    (size,) = FRAME.unpack(_read_exactly(sock, FRAME.size))
    if size > MAX_FRAME:
        raise WireError(f"a message of {size} bytes is over the {MAX_FRAME}-byte limit")
    raw = _read_exactly(sock, size)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise WireError(f"not a JSON message ({type(error).__name__})") from None


# --------------------------------------------------------------------------------------------- codec

class Codec:
    """Values <-> JSON nodes. Each side supplies `outgoing(value)` for what is not plain data and
    `incoming(node)` for the tags it accepts beyond plain data."""

    def __init__(self, outgoing, incoming):
        self.outgoing, self.incoming = outgoing, incoming

    def encode(self, value, depth=0):
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if depth < MAX_DEPTH:
            if kind is list:
                return [self.encode(v, depth + 1) for v in value]
            if kind is tuple:
                return {"$t": "tuple", "v": [self.encode(v, depth + 1) for v in value]}
            if kind is dict:
                return {"$t": "dict", "k": [self.encode(k, depth + 1) for k in value],
                        "v": [self.encode(v, depth + 1) for v in value.values()]}
        if isinstance(value, np.random.Generator):  # a seeded random stream: its state is data
            return {"$t": "rng", "state": self.encode(value.bit_generator.state, depth + 1)}
        if isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
            if array.dtype.kind in "biufc" and not array.dtype.fields and array.ndim <= MAX_NDIM:
                array = np.array(array.view(np.ndarray), dtype=array.dtype.newbyteorder("<"), order="C")
                return {"$t": "nd", "d": array.dtype.str, "s": list(array.shape),
                        "b": base64.b64encode(array.tobytes()).decode("ascii"),
                        "scalar": isinstance(value, np.generic)}
        if (type(value).__module__ or "").startswith("tensorflow") and hasattr(value, "numpy"):
            try:
                values = np.asarray(value.numpy())
            except Exception:
                values = None
            if isinstance(values, np.ndarray) and values.dtype.kind in "biufc":
                return {"$t": "tensor", "v": self.encode(values, depth + 1)}
        return self.outgoing(value)

    def decode(self, node, depth=0):
        kind = type(node)
        if node is None or kind in (bool, int, float, str):
            return node
        if depth >= MAX_DEPTH:
            raise WireError(f"data nested deeper than {MAX_DEPTH} levels")
        if kind is list:
            return [self.decode(v, depth + 1) for v in node]
        if kind is not dict:
            raise WireError(f"unexpected {kind.__name__}")
        tag = node.get("$t")
        if tag == "tuple" and set(node) == {"$t", "v"} and type(node["v"]) is list:
            return tuple(self.decode(v, depth + 1) for v in node["v"])
        if tag == "dict" and set(node) == {"$t", "k", "v"} and type(node["k"]) is list \
                and type(node["v"]) is list and len(node["k"]) == len(node["v"]):
            keys = [self.decode(k, depth + 1) for k in node["k"]]
            for key in keys:
                if not _hashable_data(key):
                    raise WireError("a dict key that is not a number, string, bool, None or tuple of these")
            return dict(zip(keys, (self.decode(v, depth + 1) for v in node["v"])))
        if tag == "nd":
            return decode_array(node)
        if tag == "rng" and set(node) == {"$t", "state"}:
            return decode_generator(self.decode(node["state"], depth + 1))
        if tag == "tensor" and set(node) == {"$t", "v"} and type(node["v"]) is dict:
            values = decode_array(node["v"])
            tensorflow = sys.modules.get("tensorflow")  # the receiver's own, if it loaded it
            return values if tensorflow is None else tensorflow.convert_to_tensor(values)
        return self.incoming(node, depth)


def _hashable_data(key):
    if key is None or type(key) in (bool, int, float, str):
        return True
    return type(key) is tuple and all(_hashable_data(k) for k in key)


def decode_array(node):
    """An exact numpy.ndarray (or numpy scalar) from an "nd" node, every field checked."""
    if set(node) != {"$t", "d", "s", "b", "scalar"}:
        raise WireError("an array with unexpected fields")
    dtype, shape, data, scalar = node["d"], node["s"], node["b"], node["scalar"]
    if type(dtype) is not str or dtype not in DTYPES:
        raise WireError(f"an array of dtype {str(dtype)[:20]!r}: only numeric and bool arrays are data")
    if type(shape) is not list or len(shape) > MAX_NDIM or any(type(n) is not int or n < 0 for n in shape):
        raise WireError("an array with an invalid shape")
    if type(data) is not str or type(scalar) is not bool or (scalar and shape):
        raise WireError("an array with invalid data")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise WireError("an array whose data is not base64") from None
    dt = np.dtype(dtype)
    count = 1
    for n in shape:
        count *= n
    if count * dt.itemsize != len(raw):
        raise WireError("an array whose data does not match its shape and dtype")
    array = np.frombuffer(raw, dtype=dt).reshape(shape).astype(dt.newbyteorder("="), copy=True)
    return array[()] if scalar else array


BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def decode_generator(state):
    """A numpy Generator in STATE (its bit generator's state dict), for one of numpy's own bit generators."""
    name = state.get("bit_generator") if type(state) is dict else None
    if name not in BIT_GENERATORS:
        raise WireError("a random generator of an unknown kind")
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise WireError(f"a random generator with an invalid state ({type(error).__name__})") from None
    return np.random.Generator(bit_generator)


def class_path(value):
    """[[module, qualname], ...] of VALUE's class and its bases: lets the other side name the type."""
    return [[getattr(c, "__module__", "") or "", getattr(c, "__qualname__", "") or ""]
            for c in type(value).__mro__[:-1]][:16]


# --------------------------------------------------------------------------------------- the agent

class CheckerObject:
    """A callable that lives in the checker: calling it asks the checker (a callback)."""
    __slots__ = ("_agent", "_id")

    def __init__(self, agent, ident):
        self._agent, self._id = agent, ident

    def __call__(self, *args, **kwargs):
        node = {"$t": "ref", "side": "c", "id": self._id}
        return self._agent.request({"op": "call", "target": node, "args": self._agent.codec.encode(list(args)),
                                    "kwargs": self._agent.codec.encode(kwargs)})

    def __repr__(self):
        return "<a function of the grader's check>"


class CheckerError(Exception):
    """An exception raised by a check's own function called back from student code."""


class Agent:
    """Serves the checker's requests inside the student's kernel."""

    def __init__(self, path):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.conn = None
        self.handles, self.ids = {}, {}  # handle id -> object; id(object) -> handle id
        self.codec = Codec(self._outgoing, self._incoming)

    # values
    def _outgoing(self, value):
        if _is_tensor(value):
            try:
                return self.codec.encode(np.asarray(value))
            except Exception:
                pass
        ref = self._handle(value)
        keras = sys.modules.get("keras")
        if keras is not None:
            try:  # a model and a history travel as data too: the checker evaluates its own copy
                if isinstance(value, keras.Model):
                    spec = model_spec(value)
                    return {"$t": "keras_model", "model": self.codec.encode(spec), "ref": ref}
                if isinstance(value, keras.callbacks.History):
                    return {"$t": "keras_history", "history": self.codec.encode(dict(value.history)),
                            "params": self.codec.encode(dict(value.params or {})),
                            "epoch": self.codec.encode(list(getattr(value, "epoch", []))), "ref": ref}
            except Exception:
                pass
        return ref

    def _handle(self, value):
        ident = self.ids.get(id(value))
        if ident is None or self.handles[ident] is not value:
            ident = len(self.handles) + 1
            self.handles[ident], self.ids[id(value)] = value, ident
        return {"$t": "ref", "side": "s", "id": ident, "mro": class_path(value)}

    def _incoming(self, node, depth):
        tag = node.get("$t")
        if tag == "ref" and node.get("side") == "s":
            return self.handles[node["id"]]
        if tag == "ref" and node.get("side") == "c":
            return CheckerObject(self, node["id"])
        if tag == "keras_model":
            return rebuild_model(self.codec.decode(node["model"], depth + 1))
        if tag == "keras_history":
            import keras

            history = keras.callbacks.History()
            history.history = self.codec.decode(node["history"], depth + 1)
            history.params = self.codec.decode(node["params"], depth + 1)
            history.epoch = self.codec.decode(node["epoch"], depth + 1)
            return history
        raise WireError(f"unexpected tag {str(tag)[:20]!r}")

    # the conversation
    def serve(self):
        """Answer the checker until it says "end" (called by the checker through execute_request)."""
        if self.conn is None:
            self.conn, _ = self.listener.accept()
        send_frame(self.conn, {"op": "ready"})
        while True:
            message = recv_frame(self.conn)
            if message.get("op") == "end":
                return
            self._reply(self.handle(message))

    def _reply(self, reply):
        try:
            send_frame(self.conn, reply)
        except WireError:  # an answer too large for the wire: the check gets an error instead
            send_frame(self.conn, {"op": "raise", "type": "MemoryError", "builtin": True})

    def request(self, message):
        """Send MESSAGE (a callback) and answer nested requests until its reply comes."""
        send_frame(self.conn, message)
        while True:
            reply = recv_frame(self.conn)
            op = reply.get("op")
            if op == "return":
                return self.codec.decode(reply["value"])
            if op == "raise":
                raise _exception(reply, CheckerError)
            self._reply(self.handle(reply))

    def handle(self, message):
        op = message.get("op")
        try:
            if op == "call":
                return self._call(message)
            if op == "resolve":
                namespace = _user_namespace()
                present = {name: namespace[name] for name in message["names"] if name in namespace}
                return {"op": "return", "value": self.codec.encode(present)}
            target = self.codec.decode(message.get("target"))
            if op == "getattr":
                value = getattr(target, message["name"])
            elif op == "getitem":
                value = target[self.codec.decode(message["key"])]
            elif op == "len":
                value = len(target)
            elif op == "bool":
                value = bool(target)
            elif op == "iter":
                value = list(target)
            elif op == "array":
                value = np.asarray(target)
            elif op == "seed":
                value = _seed(message["seed"])
            else:
                raise ValueError(f"unknown request {op!r}")
            return {"op": "return", "value": self.codec.encode(value)}
        except Exception as error:  # the student's error, reported by kind only
            return {"op": "raise", "type": type(error).__name__, "builtin": type(error).__name__ in BUILTIN_ERRORS
                    and type(error).__module__ == "builtins"}

    def _call(self, message):
        target = self.codec.decode(message["target"])
        arg_nodes, kwarg_nodes = message["args"], message["kwargs"]
        args, kwargs = self.codec.decode(arg_nodes), self.codec.decode(kwarg_nodes)
        errstate = message.get("errstate") or {}
        with warnings.catch_warnings(record=True) as caught, np.errstate(**errstate):
            warnings.simplefilter("always")
            try:
                value = target(*args, **kwargs)
            except Exception as error:
                return {"op": "raise", "type": type(error).__name__,
                        "builtin": type(error).__name__ in BUILTIN_ERRORS and type(error).__module__ == "builtins",
                        "warnings": _warnings(caught)}
        mutated = {"args": {}, "kwargs": {}}
        for index, (arg, node) in enumerate(zip(args, arg_nodes)):
            if _plain_container(arg):
                now = self.codec.encode(arg)
                if now != node:
                    mutated["args"][str(index)] = now
        for key, arg in kwargs.items():
            if _plain_container(arg):
                now = self.codec.encode(arg)
                if now != kwarg_nodes["v"][kwarg_nodes["k"].index(key)]:
                    mutated["kwargs"][key] = now
        return {"op": "return", "value": self.codec.encode(value), "mutated": mutated, "warnings": _warnings(caught)}


def _warnings(caught):
    return [[w.category.__name__, str(w.message)[:200]] for w in caught[:MAX_WARNINGS]]


def _exception(reply, default):
    name = reply.get("type")
    error = getattr(builtins, name, None) if reply.get("builtin") else None
    if not (isinstance(error, type) and issubclass(error, Exception)):
        error = default
    return error("raised by the grader's check")


def _plain_container(value, depth=0):
    """Whether VALUE is a list, dict, tuple or array holding only plain data (what a call may mutate)."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufc"
    if isinstance(value, np.random.Generator):  # drawing from it advances its state
        return True
    if type(value) in (list, tuple):
        return all(_plain_container(v, depth + 1) or _scalar(v) for v in value)
    if type(value) is dict:
        return all((_plain_container(v, depth + 1) or _scalar(v)) and _hashable_data(k) for k, v in value.items())
    return False


def _scalar(value):
    return value is None or type(value) in (bool, int, float, str) or isinstance(value, np.generic)


def _is_tensor(value):
    module = type(value).__module__ or ""
    return module.startswith(("tensorflow", "jax", "jaxlib", "torch")) and hasattr(value, "__array__")


def _user_namespace():
    try:
        return get_ipython().user_ns  # noqa: F821 (IPython's builtin)
    except NameError:
        return sys.modules["__main__"].__dict__


def _seed(seed):
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    else:
        import random

        random.seed(seed)
        np.random.seed(seed)


def model_spec(model):
    """A Keras model as data: its config, weights, compile config and optimizer state (step count, moments)."""
    import keras

    optimizer = getattr(model, "optimizer", None)
    state = [np.asarray(v) for v in optimizer.variables] if model.compiled and optimizer is not None \
        and getattr(optimizer, "built", False) else None
    history = getattr(model, "history", None)  # what fit left on the model: its History
    logs = {"history": dict(history.history), "params": dict(history.params or {}),
            "epoch": list(history.epoch)} if isinstance(history, keras.callbacks.History) else None
    return {"config": keras.saving.serialize_keras_object(model), "weights": model.get_weights(),
            "compile": model.get_compile_config() if model.compiled else None, "optimizer": state,
            "history": logs}


def rebuild_model(spec):
    """A Keras model from model_spec's data: Keras's own deserialisation, safe mode on."""
    import keras

    model = keras.saving.deserialize_keras_object(spec["config"], safe_mode=True)
    model.set_weights(spec["weights"])
    if spec.get("compile"):
        model.compile_from_config(spec["compile"])
        if spec.get("optimizer") is not None:
            model.optimizer.build(model.trainable_variables)
            for variable, value in zip(model.optimizer.variables, spec["optimizer"]):
                variable.assign(value)
    if spec.get("history") is not None:
        model.history = keras.callbacks.History()
        model.history.history, model.history.params, model.history.epoch = (
            spec["history"]["history"], spec["history"]["params"], spec["history"]["epoch"])
    return model


AGENT = None


def listen(path):
    """Start listening on PATH (called once per kernel by the grader, before the notebook runs)."""
    global AGENT
    AGENT = Agent(path)


def serve():
    AGENT.serve()
