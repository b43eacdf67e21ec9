"""The shipped datasets in data/: checksums, keys, dtypes, shapes, label balance (offline; no rebuild)."""
import hashlib
import runpy

import numpy as np
import pytest

from autograder import course

SUBSET = course.DATA / "mnist_subset.npz"
SCRIPT = course.DATA / "build_mnist_subset.py"


@pytest.fixture(scope="module")
def recipe():
    """The build script's constants and functions, without running it (its main is guarded)."""
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def arrays():
    with np.load(SUBSET, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def test_data_file_sha256_matches_the_script_and_readme(recipe):
    digest = hashlib.sha256(SUBSET.read_bytes()).hexdigest()
    assert digest == recipe["OUTPUT_SHA256"], f"{SUBSET.name}: SHA-256 {digest}, the script records {recipe['OUTPUT_SHA256']}"
    readme = (course.DATA / "README.md").read_text()
    assert digest in readme, "data/README.md does not state the file's SHA-256"
    assert recipe["TARBALL_SHA256"] in readme, "data/README.md does not state the source tarball's SHA-256"


def test_every_lab_that_downloads_the_subset_checks_its_hash_and_the_students_repository(recipe):
    """A lab opened alone (Colab) downloads the subset from the students' repository and checks it."""
    import re

    from autograder import students
    from autograder.lab import Lab

    slug, branch = students.repository()
    expected_url = f"https://raw.githubusercontent.com/{slug}/{branch}/data/{SUBSET.name}"
    checked = 0
    for lab in course.lab_names():
        source = "\n".join(cell.source for cell in Lab.load(lab).master.cells)
        url = re.search(r'MNIST_SUBSET_URL = "([^"]+)"', source)
        digest = re.search(r'MNIST_SUBSET_SHA256 = "([0-9a-f]+)"', source)
        if url or digest:
            assert url and url.group(1) == expected_url, f"{lab}: MNIST_SUBSET_URL should be {expected_url}"
            assert digest and digest.group(1) == recipe["OUTPUT_SHA256"], f"{lab}: MNIST_SUBSET_SHA256 is not the file's"
            checked += 1
    assert checked >= 1, "lab 05 downloads the subset when it is not on disk"


def test_data_arrays_match_recorded_content_hash(recipe, arrays):
    assert recipe["content_sha256"](arrays) == recipe["CONTENT_SHA256"]


def test_data_keys_dtypes_shapes(arrays):
    assert list(arrays) == ["x_train", "y_train", "x_test", "y_test"], "the keys of Keras's mnist.npz, in order"
    assert all(a.dtype == np.uint8 for a in arrays.values()), {k: a.dtype for k, a in arrays.items()}
    assert arrays["x_train"].shape == (8000, 28, 28) and arrays["y_train"].shape == (8000,)
    assert arrays["x_test"].shape == (2000, 28, 28) and arrays["y_test"].shape == (2000,)


def test_data_pixels_and_labels_in_range(arrays):
    for key in ("x_train", "x_test"):
        assert arrays[key].max() == 255 and arrays[key].min() == 0
        # MNIST digits: dark background (most pixels 0), a bright stroke in the middle
        assert 0.7 < (arrays[key] == 0).mean() < 0.9
        assert arrays[key][:, :, :2].max() < arrays[key][:, 10:18, 10:18].max()
    assert set(np.unique(arrays["y_train"])) == set(range(10)) == set(np.unique(arrays["y_test"]))


def test_data_label_balance(arrays):
    np.testing.assert_array_equal(np.bincount(arrays["y_test"], minlength=10), [200] * 10)
    train = np.bincount(arrays["y_train"], minlength=10)
    assert train.min() >= 600 and train.max() <= 1000, train
    # interleaved class by class: the first 100 training labels hold every digit 10 times
    np.testing.assert_array_equal(np.bincount(arrays["y_train"][:100], minlength=10), [10] * 10)


def test_data_splits_do_not_share_images(arrays):
    train = {x.tobytes() for x in arrays["x_train"]}
    assert not any(x.tobytes() in train for x in arrays["x_test"]), "an image is in both splits"


def test_data_zip_is_deterministic(recipe, arrays, tmp_path):
    """Writing the same arrays twice gives the same bytes (fixed zip dates), and the shipped bytes."""
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    recipe["write_npz"](arrays, first)
    recipe["write_npz"](arrays, second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == SUBSET.read_bytes()
