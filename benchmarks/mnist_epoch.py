"""Time one training epoch of lab 05's MLPs on full-size MNIST-shaped data, on whatever device is present.

    python benchmarks/mnist_epoch.py [--batch-sizes 32 256] [--samples 60000] [--models baseline final] [--epochs 3]
    KERAS_BACKEND=jax python benchmarks/mnist_epoch.py      # the same models on JAX (no TensorFlow needed)

The models are built by the lab's own `build_mlp`, read from the lab 05 master notebook's answer cell
(plain JSON, no nbgrader or TensorFlow import), so this times exactly what students build; that code
uses only `keras.*` APIs and runs on any Keras 3 backend. The data are random uint8 images of MNIST's
training shape (60,000 x 28 x 28) and random labels, prepared as the lab does (float32, 784 features in
[0, 1]): timing does not depend on pixel values. Each (model, batch size) trains --epochs epochs (default
3) on one dataset and the time of every epoch is taken, as lab 05's `time_epoch` does: the first epoch
traces the step and, where Keras compiles it with XLA (a GPU), compiles it for every batch shape it meets,
the last partial batch included; later epochs meet no new shape, so the fastest of them is the steady
state. Prints the first epoch's seconds, the steady state's, and samples per second.
"""
import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

MASTER = Path(__file__).resolve().parent.parent / "solutions" / "05_dropout_batchnorm" / "dropout_batchnorm.ipynb"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def lab_build_mlp(master=MASTER):
    """The lab's build_mlp, executed from the master notebook's answer cell (grade_id build_mlp)."""
    cells = json.loads(Path(master).read_text())["cells"]
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "build_mlp":
            source = "".join(cell["source"])
            code = "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)
            namespace = {"keras": keras, "np": np}
            exec(code, namespace)
            return namespace["build_mlp"]
    raise SystemExit(f"{master}: no answer cell with grade_id build_mlp")


def models(build_mlp, steps_per_epoch):
    """The lab's four models: the three of Part 4 and the final one (its cosine schedule included)."""
    final_lr = keras.optimizers.schedules.CosineDecay(3e-3, 6 * steps_per_epoch)  # the lab trains it 6 epochs
    return {
        "baseline": lambda: build_mlp(),
        "dropout": lambda: build_mlp(dropout_rate=0.5),
        "batchnorm": lambda: build_mlp(batchnorm=True),
        "final": lambda: build_mlp(dropout_rate=0.2, batchnorm=True, hidden_units=(512, 512), learning_rate=final_lr),
    }


def device_name():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        devices = jax.devices()
        return f"{devices[0].platform.upper()} ({devices[0].device_kind}, {len(devices)} device(s))"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU ({details.get('device_name', gpus[0].name)}, {len(gpus)} device(s))"
        return "CPU"
    return backend


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch of a fit."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def time_epoch(make_model, x, y, batch_size, epochs=3):
    """(first epoch, steady-state epoch) in seconds of fit on (x, y): all epochs on one dataset, so every batch
    shape (the partial last batch included) is compiled in the first; the steady state is the fastest later one."""
    keras.utils.set_random_seed(0)
    model = make_model()
    timer = EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.seconds[0], min(timer.seconds[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=60000, help="training images per epoch (MNIST: 60000)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--models", nargs="+", default=["baseline", "dropout", "batchnorm", "final"],
                        choices=["baseline", "dropout", "batchnorm", "final"])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per model, at least 2 (the first compiles)")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch includes tracing and compilation")

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(args.samples, 28, 28), dtype=np.uint8)
    x = images.reshape(len(images), -1).astype("float32") / 255.0
    y = rng.integers(0, 10, size=args.samples).astype("int32")
    build_mlp = lab_build_mlp()
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, device {device_name()}; "
          f"{args.samples} samples of 28x28 per epoch")
    for batch_size in args.batch_sizes:
        builders = models(build_mlp, int(np.ceil(args.samples / batch_size)))
        for name in args.models:
            first, steady = time_epoch(builders[name], x, y, batch_size, args.epochs)
            print(f"{name:10s} batch {batch_size:4d}: first epoch {first:7.2f} s, then {steady:7.2f} s/epoch, "
                  f"{args.samples / steady:10,.0f} samples/s", flush=True)


if __name__ == "__main__":
    main()
