"""The plain-data channel between checker and student kernel: what the checker accepts from a student.

No kernel here: hostile wire messages are fed to the checker's decoder directly. Everything that comes
back must be an exact base type; anything else is refused with a WireError (or stays a handle).
"""
import base64
import json
import socket
import warnings

import numpy as np
import pytest

from autograder.grading import agent as wire
from autograder.grading import remote


def checker_codec():
    channel = remote.Channel.__new__(remote.Channel)
    channel.callbacks, channel.classes, channel.kernel = {}, {}, type("K", (), {"generation": 1})()
    channel.codec = wire.Codec(channel._outgoing, channel._incoming)
    return channel


def student_codec():
    agent = wire.Agent.__new__(wire.Agent)
    agent.handles, agent.ids = {}, {}
    agent.codec = wire.Codec(agent._outgoing, agent._incoming)
    return agent.codec


def roundtrip(value):
    """VALUE encoded by the student's side, sent as JSON, decoded by the checker."""
    return checker_codec().codec.decode(json.loads(json.dumps(student_codec().encode(value))))


def test_data_comes_back_as_exact_base_types():
    value = roundtrip({"a": [1, 2.5, True, None, "s"], (1, "k"): (np.float32(1.5), np.arange(6).reshape(2, 3))})
    assert type(value) is dict and type(value["a"]) is list and type(value[(1, "k")]) is tuple
    scalar, array = value[(1, "k")]
    assert type(scalar) is np.float32 and scalar == 1.5
    assert type(array) is np.ndarray and array.shape == (2, 3) and array.flags.writeable
    assert roundtrip(np.array(3.0)).shape == ()  # a 0-d array stays 0-d


def test_a_tensorflow_tensor_stays_a_tensor_and_an_array_stays_an_array():
    """A check may ask for numpy arrays (lab 04's tape_gradients): a tensor must not arrive as one."""
    tf = pytest.importorskip("tensorflow")
    tensor = roundtrip([tf.constant([[1.0, 2.0]], dtype=tf.float64)])[0]
    assert type(tensor).__name__ != "ndarray" and tf.is_tensor(tensor)
    assert tensor.dtype == tf.float64 and np.array_equal(tensor.numpy(), [[1.0, 2.0]])
    assert type(roundtrip(np.ones(2))) is np.ndarray
    with pytest.raises(wire.WireError):  # a tensor node holds an array node, nothing else
        checker_codec().codec.decode({"$t": "tensor", "v": {"$t": "ref", "side": "s", "id": 1, "mro": []}})


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


class LyingFloat(float):
    def __eq__(self, other):
        return True


def test_a_random_generator_crosses_as_its_state_and_its_draws_come_back():
    generator = np.random.default_rng(3)
    copy = roundtrip(generator)
    assert type(copy) is np.random.Generator and np.array_equal(copy.random(4), np.random.default_rng(3).random(4))
    remote._apply_mutation(generator, copy)  # the student drew 4 numbers: the check's generator moves on too
    assert generator.random() == np.random.default_rng(3).random(5)[-1]
    with pytest.raises(wire.WireError, match="unknown kind"):
        state = student_codec().encode({"bit_generator": "os.system", "state": {}})
        checker_codec().codec.decode({"$t": "rng", "state": state})


def test_subclasses_lose_their_lies():
    array = roundtrip(np.zeros(3).view(Liar))
    assert type(array) is np.ndarray and not (array == np.ones(3)).any()
    # a float subclass is not data: it stays in the student's kernel as a handle
    value = roundtrip(LyingFloat(1.0))
    assert isinstance(value, remote.Remote) and value != 2.0 and not isinstance(value, float)


class Everything:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 42.0

    def __len__(self):
        return 4


def test_an_object_with_lying_dunders_decides_nothing():
    value = roundtrip(Everything())
    assert isinstance(value, remote.Remote)
    assert value != 1 and not (value == value is False)  # no operator is forwarded
    assert repr(value) == "<Everything from your code>"


@pytest.mark.parametrize("node, problem", [
    ({"$t": "nd", "d": "|O8", "s": [1], "b": "AAAAAAAAAAA=", "scalar": False}, "dtype"),
    ({"$t": "nd", "d": "<f8", "s": [2], "b": base64.b64encode(b"\0" * 8).decode(), "scalar": False}, "match"),
    ({"$t": "nd", "d": "<f8", "s": [-1], "b": "", "scalar": False}, "shape"),
    ({"$t": "nd", "d": "<f8", "s": [1], "b": "not base64!", "scalar": False}, "base64"),
    ({"$t": "nd", "d": "<f8", "s": [1] * 40, "b": "", "scalar": False}, "shape"),
    ({"$t": "nd", "d": "<f8", "s": [1], "b": "", "scalar": False, "extra": 1}, "fields"),
    ({"$t": "keras_model", "model": {}}, "malformed"),         # a model comes with its handle, or not at all
    ({"$t": "pickle", "v": "gASVAAAAAAAAAA=="}, "tag"),
    ({"$t": "dict", "k": [[1, 2]], "v": [1]}, "key"),          # a list cannot be a dict key
    ({"$t": "ref", "side": "s", "id": 1, "mro": [["os", "system; rm -rf /"]]}, "class"),
    ({"$t": "ref", "side": "c", "id": 12345}, "no function"),
    ({"no": "tag"}, "tag"),
])
def test_malformed_data_is_refused(node, problem):
    with pytest.raises(wire.WireError, match=problem):
        checker_codec().codec.decode(node)


def test_deep_nesting_is_refused():
    node = []
    for _ in range(wire.MAX_DEPTH + 5):
        node = [node]
    with pytest.raises(wire.WireError, match="nested"):
        checker_codec().codec.decode(node)


def test_frames_are_bounded_and_must_be_json():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(wire.FRAME.pack(wire.MAX_FRAME + 1))
        with pytest.raises(wire.WireError, match="over"):
            wire.recv_frame(right)
        left.sendall(wire.FRAME.pack(5) + b"[[[[[")
        with pytest.raises(wire.WireError, match="JSON"):
            wire.recv_frame(right)
        deep = b"[" * 100000 + b"]" * 100000
        left.sendall(wire.FRAME.pack(len(deep)) + deep)
        with pytest.raises(wire.WireError):
            wire.recv_frame(right)
        left.close()
        with pytest.raises(EOFError):
            wire.recv_frame(right)


def test_student_exceptions_carry_no_student_text():
    error = remote.student_error({"type": "ValueError", "builtin": True, "message": "LEAK the hidden test"})
    assert type(error) is ValueError and "LEAK" not in str(error) and error.from_student
    custom = remote.student_error({"type": "ValueError", "builtin": False})
    assert type(custom) is remote.StudentException  # a student's own class named ValueError is not Python's
    forged = remote.student_error({"type": "SystemExit", "builtin": True})
    assert type(forged) is remote.StudentException  # only Exception subclasses are raised as themselves


def test_student_warnings_are_replayed_without_their_text():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        remote.replay_warnings([["RuntimeWarning", "overflow encountered in exp"], ["UserWarning", "LEAK secret"],
                                ["NotAWarning", "x"], "garbage", ["RuntimeWarning"]])
    assert [(w.category, str(w.message)) for w in caught] == [
        (RuntimeWarning, "overflow encountered in exp"), (UserWarning, "UserWarning in your code"),
        (UserWarning, "UserWarning in your code")]
    with warnings.catch_warnings(), pytest.raises(RuntimeWarning):
        warnings.simplefilter("error", RuntimeWarning)
        remote.replay_warnings([["RuntimeWarning", "overflow encountered in exp"]])


def test_what_a_call_does_to_its_arguments_is_copied_back_in_place():
    array, params, nested = np.zeros(3), {"w": 1.0, "b": 2.0}, [(np.zeros(2), np.ones(2))]
    remote._apply_mutation(array, np.arange(3.0))
    remote._apply_mutation(params, {"w": 5.0})
    inner = nested[0][0]
    remote._apply_mutation(nested, [(np.full(2, 7.0), np.ones(2))])
    assert array.tolist() == [0, 1, 2] and params == {"w": 5.0}
    assert inner.tolist() == [7, 7] and nested[0][0] is inner  # in place, as in one process
