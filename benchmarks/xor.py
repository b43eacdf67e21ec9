"""Deck 000's Keras XOR recipe against lab 01's: wall time and success rate over seeds.

    python benchmarks/xor.py [--deck-runs 1] [--seeds 20]

Prints (1) the wall time of the deck's recipe exactly as the deck writes it (10,000 epochs of
`fit` on 4 samples; minutes), the lab's recipe, and the ratio; (2) what the deck's last lines do on
Keras 3 (`evaluate` returns [loss, accuracy], so its `print(f"{accuracy * 100:.2f}")` raises); (3) how
many of SEEDS seeds reach 100% accuracy with each recipe. For (2) the deck's recipe runs the same mathematics (10,000 Adam
steps on the 4 samples, in order) with fewer Python round trips, so it finishes in about a minute.
The lab's recipe is read from the lab 01 master notebook, so this times exactly what students build.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from autograder import course, samples  # noqa: E402

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
y = np.array([[0], [1], [1], [0]])


def lab_recipe():
    """build_xor_model and train_xor_model, executed from the lab 01 master's answer cells."""
    master = course.read_notebook(course.SOLUTIONS / "01_xor_mlp" / "xor_mlp.ipynb")
    answers = course.nbgrader_cells(master, "solution")
    namespace = {"np": np, "keras": keras}
    for name in ("build_xor_model", "train_xor_model"):
        exec(samples.student_code(answers[name].source), namespace)
    return namespace["build_xor_model"], namespace["train_xor_model"]


def deck_model():
    """The deck's model and compile call, verbatim (Keras 3 still accepts input_dim)."""
    model = keras.Sequential()
    model.add(keras.layers.Dense(2, input_dim=2, activation="relu"))  # Hidden layer with 2 neurons
    model.add(keras.layers.Dense(1, activation="sigmoid"))  # Output layer with 1 neuron
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def deck_script_ending(model):
    """The deck's evaluate-and-print lines, verbatim; returns what happened, as text."""
    accuracy = model.evaluate(X, y, verbose=0)
    try:
        print(f"Accuracy: {accuracy * 100:.2f}%")
    except TypeError as error:
        return f"evaluate returned {type(accuracy).__name__} {accuracy}; the deck's print raised TypeError: {error}"
    return "the deck's print ran"


def solved(model):
    return bool(((model.predict(X, verbose=0) > 0.5).astype(int) == y).all())


def time_deck(seed):
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = deck_model()
    model.fit(X, y, epochs=10000, verbose=0)
    seconds = time.perf_counter() - start
    print(f"deck recipe, seed {seed}, its last lines on Keras 3: {deck_script_ending(model)}")
    return seconds, solved(model)


def time_lab(seed, build, train):
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = train(build(), X.astype("float32"), y[:, 0].astype("float32"))
    return time.perf_counter() - start, solved(model)


def deck_same_maths(seed):
    """10,000 Adam steps on the 4 samples, as the deck's fit does, in 10 calls instead of 10,000."""
    keras.utils.set_random_seed(seed)
    model = deck_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", steps_per_execution=1000)
    model.fit(np.tile(X, (10000, 1)), np.tile(y, (10000, 1)), batch_size=4, epochs=1, shuffle=False, verbose=0)
    return solved(model)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deck-runs", type=int, default=1, help="timed runs of the deck's recipe (each takes minutes)")
    parser.add_argument("--seeds", type=int, default=20, help="seeds for the success rates")
    args = parser.parse_args()
    build, train = lab_recipe()

    deck = [time_deck(seed) for seed in range(args.deck_runs)]
    for seed, (seconds, ok) in enumerate(deck):
        print(f"deck recipe, seed {seed}: {seconds:.1f} s, {'100%' if ok else 'not 100%'} accuracy")
    lab = [time_lab(seed, build, train) for seed in range(args.seeds)]
    deck_time = statistics.median(t for t, _ in deck)
    lab_time = statistics.median(t for t, _ in lab)
    print(f"wall time, median: deck recipe {deck_time:.1f} s, lab recipe {lab_time:.2f} s, "
          f"lab is {deck_time / lab_time:.0f}x faster (target >= 300x)")

    deck_ok = sum(deck_same_maths(seed) for seed in range(args.seeds))
    lab_ok = sum(ok for _, ok in lab)
    print(f"100% accuracy over {args.seeds} seeds: deck recipe {deck_ok}/{args.seeds}, "
          f"lab recipe {lab_ok}/{args.seeds} (target {args.seeds}/{args.seeds})")


if __name__ == "__main__":
    main()
