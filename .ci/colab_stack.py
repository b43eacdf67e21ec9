"""The labs on Google Colab's current stack: each master passes its tests, each release fails cleanly.

Usage (from the repository root, after `make setup`):  .venv/bin/python .ci/colab_stack.py [--build-only]

Builds (once; reused while the pins and the interpreter stay the same) a virtual environment under
.cache/colab-stack/ with Colab's Python (3.13) and the versions pinned in
.ci/colab-stack-requirements.txt, then runs `nbgrader validate` on every master and
`nbgrader validate --invert` on every release with that environment's python as the notebooks'
kernel (nbgrader itself runs from .venv). A lab that needs something newer than Colab has fails here.

The interpreter: $COLAB_PYTHON if set, else python3.13 on PATH, else pyenv's 3.13. --build-only
builds the environment and stops (to overlap the download with other work). Exit 0 when every
check passes, 1 when one fails, 2 when the environment cannot be built.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from autograder import course  # noqa: E402

PYTHON_VERSION = (3, 13)  # Colab's (googlecolab/backend-info, os-info.txt)
REQUIREMENTS = REPO / ".ci" / "colab-stack-requirements.txt"
CACHE = REPO / ".cache" / "colab-stack"
PASSED = {False: "Success! Your notebook passes all the tests.",
          True: "Success! The notebook does not pass any tests."}


def fail(message):
    print(f"colab_stack: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def interpreter():
    """A python of PYTHON_VERSION: $COLAB_PYTHON, python3.13 on PATH, or pyenv's."""
    name = "python{}.{}".format(*PYTHON_VERSION)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [os.environ.get("COLAB_PYTHON"), shutil.which(name),
                  *sorted(map(str, pyenv_root.glob(f"versions/{PYTHON_VERSION[0]}.{PYTHON_VERSION[1]}*/bin/{name}")))]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys, venv; print(*sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and tuple(map(int, probe.stdout.split())) == PYTHON_VERSION:
            return candidate
    fail(f"no Python {name[6:]} found (tried $COLAB_PYTHON, {name} on PATH, {pyenv_root}/versions/): "
         f"set COLAB_PYTHON to one")


def environment(python):
    """The pinned venv for PYTHON (built when missing); returns its bin/python."""
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True,
                             text=True, check=True).stdout
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + version.encode()).hexdigest()[:12]
    venv = CACHE / key
    if not (venv / "installed").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE.parent / ".gitignore").write_text("*\n")  # .cache/ is never committed
        for old in CACHE.iterdir():  # environments for older pins
            shutil.rmtree(old, ignore_errors=True)
        start = time.monotonic()
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                  "--disable-pip-version-check", "-r", str(REQUIREMENTS)])
        if install.returncode != 0:
            fail(f"`pip install -r {REQUIREMENTS.relative_to(REPO)}` failed (above)")
        (venv / "installed").write_text(version)
        print(f"colab_stack: built {venv.relative_to(REPO)} in {time.monotonic() - start:.0f} s", flush=True)
    # A kernelspec named like the notebooks' ("python3") on JUPYTER_PATH wins over .venv's own.
    spec = venv / "share" / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Colab stack)", "language": "python",
        # ipykernel 6.17's debugger otherwise warns on every start that Python 3.13 freezes modules
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}))
    return venv


def kernel_env(venv):
    return course.kernel_env(JUPYTER_PATH=str(venv / "share" / "jupyter"))


def pinned():
    """{package: version} pinned in REQUIREMENTS."""
    lines = [line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
    return dict(line.split("==") for line in lines if "==" in line)


def check_kernel(venv):
    """Run a cell in the kernel nbgrader will start: it must be Colab's Python and TensorFlow stack."""
    import nbformat
    from nbclient import NotebookClient

    pins = pinned()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, tensorflow, keras, numpy, matplotlib\n"
        "print(*sys.version_info[:2], tensorflow.__version__, keras.__version__, numpy.__version__,"
        " matplotlib.__version__)")])
    saved = os.environ.copy()
    os.environ.update(kernel_env(venv))
    try:
        NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    got = nb.cells[0].outputs[-1]["text"].split()
    want = [str(PYTHON_VERSION[0]), str(PYTHON_VERSION[1]),
            pins["tensorflow"], pins["keras"], pins["numpy"], pins["matplotlib"]]
    if got != want:
        fail(f"the kernel runs {got}, not the pinned {want}")
    print(f"colab_stack: kernel Python {'.'.join(got[:2])}, TensorFlow {got[2]}, Keras {got[3]}, "
          f"numpy {got[4]}, matplotlib {got[5]}", flush=True)


def validate(venv, notebook, invert):
    """(passed, seconds, output) of `nbgrader validate [--invert] NOTEBOOK` on the Colab kernel."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)] + ["--invert"] * invert,
                          cwd=REPO, env=kernel_env(venv), capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    return PASSED[invert] in out, time.monotonic() - start, out


def main():
    venv = environment(interpreter())
    if "--build-only" in sys.argv[1:]:
        return 0
    check_kernel(venv)
    jobs = [(f"{lab}: master passes its tests", course.SOLUTIONS / lab / course.notebook_name(lab), False)
            for lab in course.lab_names()]
    jobs += [(f"{lab}: release fails every graded cell", course.LABS / lab / course.notebook_name(lab), True)
             for lab in course.lab_names()]
    workers = int(os.environ.get("COLAB_STACK_WORKERS", "2"))
    failed = 0
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda job: validate(venv, job[1], job[2]), jobs)
        for (name, _, _), (passed, seconds, out) in zip(jobs, results):
            print(f"colab_stack: {'ok  ' if passed else 'FAIL'} {name} ({seconds:.0f} s)", flush=True)
            if not passed:
                failed += 1
                print(out[-4000:], flush=True)
    print(f"colab_stack: {len(jobs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
