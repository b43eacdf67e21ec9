"""The students' public repository: where it is (a course setting), what it holds, the links into it.

The instructors' repository (this one) holds solutions/ and the tests and stays private; students
get a second, public repository that `publish` writes. nbgrader_config.py names it:
STUDENT_REPOSITORY ("owner/name" on GitHub) and STUDENT_BRANCH. Every Open-in-Colab link and every
GitHub download in the course must point into it, at a file it holds: `link_problems` finds those
that do not.
"""
import re
import runpy
from pathlib import Path
from string import Template

from traitlets.config import Config

from . import course

TEMPLATES = Path(__file__).resolve().parent / "student_repo"  # README.md and LICENSE, filled in
GENERATED = ("README.md", "LICENSE", "requirements.txt")
# The requirements.txt lines students need to run the labs locally (not the grader's tools).
STUDENT_PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "jupyter")
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}

URL = re.compile(r"https?://[^\s()<>\[\]{}\"'`]+")
# (owner/name, branch, path) of a link into a GitHub repository, by the link's form.
COLAB = re.compile(r"https?://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/(.+)")
RAW = re.compile(r"https?://raw\.githubusercontent\.com/([^/]+/[^/]+)/([^/]+)/(.+)")
GITHUB = re.compile(r"https?://github\.com/([^/]+/[^/#?]+)(?:/(?:blob|tree|raw)/([^/]+)/?([^#?]*))?")
# A GitHub link whose path starts with one of these is a link into the course, whoever its owner.
COURSE_FOLDERS = ("labs", "data", "solutions", "tests", "autograder")
SETTING = "STUDENT_REPOSITORY and STUDENT_BRANCH in nbgrader_config.py"


def repository():
    """(slug, branch) of the students' repository, as nbgrader_config.py sets them."""
    settings = runpy.run_path(str(course.CONFIG), init_globals={"get_config": Config})
    slug, branch = settings.get("STUDENT_REPOSITORY"), settings.get("STUDENT_BRANCH")
    if not (isinstance(slug, str) and re.fullmatch(r"[\w.-]+/[\w.-]+", slug)):
        raise course.CourseError(f"{course.CONFIG.name}: STUDENT_REPOSITORY must be a GitHub "
                                 f"'owner/name', found {slug!r}")
    if not (isinstance(branch, str) and re.fullmatch(r"[\w.-]+", branch)):  # no '/': links split on it
        raise course.CourseError(f"{course.CONFIG.name}: STUDENT_BRANCH must be a branch name, found {branch!r}")
    return slug, branch


def colab_url(lab, slug, branch, notebook=None):
    """The Open-in-Colab link of LAB's notebook (its master's name, unless NOTEBOOK) in the students' repository."""
    notebook = notebook or course.notebook_name(lab)
    return f"https://colab.research.google.com/github/{slug}/blob/{branch}/labs/{lab}/{notebook}"


def copied_files():
    """{path in the students' repository: path here} of every file of labs/ and data/."""
    return {f"{name}/{path.relative_to(top).as_posix()}": path
            for name, top in (("labs", course.LABS), ("data", course.DATA)) for path in sorted(top.rglob("*"))
            if path.is_file() and not SKIPPED & set(path.relative_to(top).parts)}


def title(notebook):
    """A lab's title from its notebook's first line: 'XOR: from perceptrons to ...' of '# Lab 01 — XOR: ...'."""
    first = (course.read_notebook(notebook).cells[0].source.splitlines() or [""])[0]
    return re.sub(r"^#\s*(Lab\s*\d+\s*[—:-]\s*)?", "", first).strip()


def contents():
    """{path: bytes} of the students' repository: labs/ and data/ as they are here, and GENERATED."""
    slug, branch = repository()
    files = {name: path.read_bytes() for name, path in copied_files().items()}
    rows = "\n".join(  # one row per notebook in labs/
        f"| {notebook.parent.name[:2]} | {title(notebook)} | [![Open In Colab](https://colab.research.google.com/"
        f"assets/colab-badge.svg)]({colab_url(notebook.parent.name, slug, branch, notebook.name)}) |"
        for notebook in sorted(course.LABS.glob("*/*.ipynb")))
    owner, repo_name = slug.split("/")
    fill = {"slug": slug, "branch": branch, "owner": owner, "repository_name": repo_name, "labs": rows}
    for name in ("README.md", "LICENSE"):
        files[name] = Template((TEMPLATES / name).read_text()).substitute(fill).encode()
    requirements = [line for line in (course.REPO / "requirements.txt").read_text().splitlines()
                    if re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0].lower() in STUDENT_PACKAGES]
    files["requirements.txt"] = ("# What the labs need to run locally:  pip install -r requirements.txt\n"
                                 + "\n".join(requirements) + "\n").encode()
    return files


def course_link(url, owner):
    """(owner/name, branch or None, path) when URL points into the course on GitHub, else None.

    A link into the course: any Colab link to a GitHub notebook, and any GitHub link that is OWNER's
    or whose path starts with a course folder."""
    for form in (COLAB, RAW, GITHUB):
        match = form.match(url)
        if match:
            slug, branch, path = match.group(1), match.group(2), (match.group(3) or "").rstrip("/")
            if form is COLAB or slug.split("/")[0] == owner or path.split("/")[0] in COURSE_FOLDERS:
                return slug, branch, path
    return None


def link_problems(text, where, published, setting, title_of=None):
    """Lines naming each link in TEXT (found in WHERE) that is not in the students' repository named by
    SETTING (slug, branch) or points at a path it does not hold (PUBLISHED: its paths). With
    TITLE_OF=lab, TEXT is that lab's title cell, whose Open-in-Colab link must be the lab's own."""
    slug, branch = setting
    expected = colab_url(title_of, slug, branch) if title_of else None
    problems = []
    for url in (match.rstrip(".,;:") for match in URL.findall(text)):
        link = course_link(url, slug.split("/")[0])
        if link is None or url == expected:
            continue
        if expected and COLAB.match(url):
            problems.append(f"{where}: title cell's Colab link {url} should be {expected} ({SETTING})")
        elif link[0] != slug or link[1] not in (None, branch):
            problems.append(f"{where}: {url} is not in {slug} on branch {branch} ({SETTING})")
        elif link[2] and link[2] not in published and not any(p.startswith(link[2] + "/") for p in published):
            problems.append(f"{where}: {url} points at {link[2]}, which the students' repository does not hold")
    if expected and expected not in text and not any(COLAB.match(url) for url in URL.findall(text)):
        problems.append(f"{where}: title cell has no Open-in-Colab link; it should link {expected}")
    return problems


def course_link_problems(labs):
    """link_problems for the masters and releases of LABS, and for the instructors' README."""
    setting = repository()
    published = set(copied_files()) | set(GENERATED)
    problems = []
    for lab in labs:
        for folder in (course.SOLUTIONS, course.LABS):
            path = folder / lab / course.notebook_name(lab)
            if path.exists():
                where = f"{folder.name}/{lab}/{path.name}"
                for index, cell in enumerate(course.read_notebook(path).cells):
                    problems += link_problems(cell.source, where, published, setting, lab if index == 0 else None)
    readme = course.REPO / "README.md"
    if readme.exists():
        problems += link_problems(readme.read_text(), "README.md", published, setting)
    return problems
