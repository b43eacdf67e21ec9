"""`python -m autograder release [LAB ...] [--check]`: regenerate labs/ from solutions/.

nbgrader generate_assignment does the work in a throw-away course; this command only copies the
result into labs/. With --check it changes nothing and reports what is wrong: labs that differ from
a fresh release, folders in labs/ without a master, and links that disagree with the students'
repository (STUDENT_REPOSITORY and STUDENT_BRANCH in nbgrader_config.py; see autograder/students.py).
"""
import shutil
import tempfile

from . import course, students


def configure(parser):
    parser.add_argument("labs", nargs="*", metavar="LAB", help="lab folders (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if labs/ differs from a fresh release or a link "
                             "disagrees with the students' repository")


def tree(path):
    """{relative path: bytes} of every file under PATH (empty if PATH does not exist)."""
    if not path.is_dir():
        return {}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def release(labs, check=False):
    """Release LABS into labs/ (or only compare, when CHECK); return the labs that were stale."""
    stale = []
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        root = course.new_course(tmp, labs)
        for lab in labs:
            fresh, committed = root / "labs" / lab, course.LABS / lab
            if tree(fresh) == tree(committed):
                continue
            stale.append(lab)
            if not check:
                shutil.rmtree(committed, ignore_errors=True)
                shutil.copytree(fresh, committed)
    return stale


def problems(labs):
    """One line per thing wrong with the release of LABS: stale, orphaned, a link off the students' repository."""
    for lab in labs:
        course.notebook_name(lab)  # unknown lab: clear error before any work
    orphans = sorted({p.name for p in course.LABS.iterdir() if p.is_dir()} - set(course.lab_names()))
    return ([f"labs/{lab} is stale: run `python -m autograder release {lab}`" for lab in release(labs, check=True)]
            + [f"labs/{lab} has no master in solutions/: delete it" for lab in orphans]
            + students.course_link_problems(labs))


def run(args):
    labs = args.labs or course.lab_names()
    if args.check:
        found = problems(labs)
        for line in found:
            print(line)
        return 1 if found else 0
    for lab in labs:
        course.notebook_name(lab)
    stale = release(labs)
    for lab in labs:
        print(f"labs/{lab}: {'updated' if lab in stale else 'up to date'}")
    return 0
