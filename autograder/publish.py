"""`python -m autograder publish DIR`: write the students' repository into DIR.

DIR gets what students need and nothing else: labs/ (the releases), data/ (the datasets, with their
provenance and licence), a README with an Open-in-Colab link per lab and how to submit, LICENSE and
a requirements.txt for working locally. Never solutions/, tests/, mutants, autograder/ or a gradebook.
Publish into a clone of the students' repository (STUDENT_REPOSITORY in nbgrader_config.py), then
commit and push there.

It refuses, changing nothing, while labs/ is not ready: a lab stale or without a master, or a link
that disagrees with the students' repository (what `release --check` reports).

DIR must be empty (a `.git` folder aside: a fresh clone) or hold an earlier publish: publish lists
what it wrote in DIR/.published-files, and next time removes exactly those files before writing
anew, so a lab or data file removed here disappears there too. Anything else in DIR (a CI file,
a hand-added note) is left alone, unless publish would overwrite it: then it refuses and names it.
"""
from pathlib import Path

from . import course, release, students

MANIFEST = ".published-files"
KEPT = {".git"}  # what may be in DIR before the first publish


def configure(parser):
    parser.add_argument("dir", type=Path, metavar="DIR",
                        help="the students' repository: an empty folder, a fresh clone, or an earlier publish")


def written_before(target):
    """The files an earlier publish wrote into TARGET (empty if none): refuses a foreign, non-empty TARGET."""
    manifest = target / MANIFEST
    if manifest.is_file():
        return [line for line in manifest.read_text().splitlines() if line and not line.startswith("#")]
    others = sorted(p.name for p in target.iterdir() if p.name not in KEPT) if target.is_dir() else []
    if others:
        raise course.CourseError(
            f"{target} is not empty and holds no {MANIFEST} (no earlier publish wrote it): it holds "
            f"{', '.join(others[:5])}{', ...' if len(others) > 5 else ''}. Publish into an empty folder, "
            f"a fresh clone of the students' repository, or a folder an earlier publish wrote.")
    return []


def write(target, files):
    """Replace what an earlier publish wrote in TARGET by FILES ({path: bytes}); list them in MANIFEST."""
    if target.exists() and not target.is_dir():
        raise course.CourseError(f"{target} is a file, not a folder")
    resolved = target.resolve()
    if any(resolved.is_relative_to(folder.resolve()) for folder in (course.SOLUTIONS, course.LABS, course.DATA)):
        raise course.CourseError(f"{target} is inside the course's own solutions/, labs/ or data/")
    old = written_before(target)
    for name in old:
        if not (resolved / name).resolve().is_relative_to(resolved):
            raise course.CourseError(f"{target / MANIFEST} lists {name!r}, which is outside {target}")
    clashes = sorted(name for name in files if (target / name).exists() and name not in old)
    if clashes:
        raise course.CourseError(f"{target} already holds {', '.join(clashes[:5])}, which no earlier "
                                 f"publish wrote: move or delete it, then publish again")
    for name in old:
        path = target / name
        if path.is_file() or path.is_symlink():
            path.unlink()
        for parent in path.parents:  # folders the removal left empty
            if parent == target or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    for name, content in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(content)
    (target / MANIFEST).write_text(
        "# Written by `python -m autograder publish`; removed and rewritten by the next publish.\n"
        + "".join(f"{name}\n" for name in sorted(files)))


def publish(target):
    """Write the students' repository into TARGET, once labs/ is ready; return the files written."""
    problems = release.problems(course.lab_names())
    if problems:
        raise course.CourseError("labs/ is not ready to publish; nothing was written:\n  " + "\n  ".join(problems))
    files = students.contents()
    write(target, files)
    return files


def run(args):
    files = publish(args.dir)
    slug, branch = students.repository()
    labs = sorted({name.split("/")[1] for name in files if name.startswith("labs/")})
    print(f"{args.dir}: wrote {len(files)} files ({len(labs)} labs: {', '.join(labs)}) for "
          f"github.com/{slug}, branch {branch}. Commit and push them there.")
    return 0
