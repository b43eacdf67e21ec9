"""`python -m autograder merge LAB DIR [DIR ...] --out FINAL`: one class, graded in shards, merged.

Each DIR is what `grade LAB SUBMISSIONS --out DIR --shard K/N` wrote: one folder per shard, or one
folder all N shards shared. FINAL gets what a one-machine `grade` of the whole class writes:
grades.csv, summary.csv and summary.png, nbgrader's gradebook (FINAL/gradebook.db, or --db) with
submitted/ and autograded/ (so `nbgrader formgrader` and `nbgrader export` work in FINAL),
feedback/, results/ (so `export` works in FINAL) and logs/<student_id>.kernel.log.

It reports, on stdout and in FINAL/merge_report.txt:
  duplicated  a student with a result in two folders: the newest result (the last graded) is kept;
  missing     with --expect SUBMISSIONS: a student of SUBMISSIONS with no result (a shard that did
              not finish: run it again, it grades only what is missing, then merge again);
  stale       with --expect: a result for another file than the one SUBMISSIONS now holds;
  unexpected  with --expect: a result for a student SUBMISSIONS does not hold (left out).

FINAL may be one of the DIRs (merge in place, e.g. the one folder all shards shared); otherwise it
is a new folder or one this command wrote before, and it then mirrors the DIRs exactly. Running
the same merge twice gives the same outputs. Exit status 0 when every expected student has a
current result, 1 when some are missing or stale (the outputs hold the others), 2 on bad input (a
DIR that is not a grading output, a result that does not parse or belongs to another lab or
version of the lab: the message names the file).
"""
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import course
from .grading import gradebook, intake, orchestrate, reports
from .lab import Lab

REPORT = "merge_report.txt"
FIELDS = {"student_id": str, "lab": str, "lab_version": str, "status": str, "notes": list, "file": str,
          "score": (int, float), "max_score": (int, float), "cells": dict}
PER_STUDENT = ("submitted", "autograded")   # folders holding one sub-folder per student


def configure(parser):
    parser.add_argument("lab", metavar="LAB", help="lab folder name, e.g. 01_xor_mlp")
    parser.add_argument("dirs", metavar="DIR", nargs="+", type=Path,
                        help="output folders of `grade --shard` (one per shard, or the one they shared)")
    parser.add_argument("--out", metavar="FINAL", type=Path, required=True,
                        help="where the merged class goes (may be one of the DIRs)")
    parser.add_argument("--expect", metavar="SUBMISSIONS", type=Path,
                        help="the folder or .zip the shards graded: report students with no or a stale result")
    parser.add_argument("--db", metavar="URL",
                        help="gradebook database URL, anything nbgrader accepts (default: sqlite:///FINAL/gradebook.db)")


@dataclass
class Found:
    """One result file: where it is, what it says, and when it was written."""
    path: Path
    result: dict
    mtime_ns: int

    @property
    def folder(self):
        return self.path.parent.parent

    def describe(self):
        when = datetime.fromtimestamp(self.mtime_ns / 1e9, timezone.utc).isoformat(timespec="seconds")
        r = self.result
        return f"{self.path} ({reports.fmt(r['score'])}/{reports.fmt(r['max_score'])} {r['status']}, written {when})"


def _problem(path, lab, text):
    """Why the result file at PATH cannot be merged into LAB, or None."""
    try:
        r = json.loads(text)
    except ValueError as error:
        return f"{path}: not valid JSON ({error}); run its shard again (it regrades such files) or delete it"
    if not isinstance(r, dict):
        return f"{path}: not a grading result (a JSON object was expected)"
    if r.get("version") != orchestrate.RESULT_VERSION:
        return (f"{path}: result format {r.get('version')!r}, this grader reads {orchestrate.RESULT_VERSION}: "
                f"grade that shard again with --regrade")
    for name, kind in FIELDS.items():
        if not isinstance(r.get(name), kind) or isinstance(r.get(name), bool):
            return f"{path}: field {name!r} is missing or not a {getattr(kind, '__name__', 'number')}"
    if not all(isinstance(v, (int, float)) for v in r["cells"].values()):
        return f"{path}: field 'cells' must map each graded cell to its points"
    if r["student_id"] != path.stem:
        return f"{path}: holds the result of student {r['student_id']!r}, not {path.stem!r}"
    if r["lab"] != lab.name:
        return f"{path}: a result of {r['lab']}, not {lab.name} (grade each lab into its own folder)"
    if r["lab_version"] != lab.version:
        return (f"{path}: graded against another version of {lab.name} ({r['lab_version']}; the course now "
                f"has {lab.version}): run that shard again, it regrades such results")
    return None


def read_folder(folder, lab):
    """([Found] of FOLDER/results, [problems])."""
    if not folder.is_dir():
        return [], [f"{folder}: no such folder"]
    results = folder / "results"
    if not results.is_dir():
        if (folder / "logs").is_dir():   # a shard whose share of the class was empty
            return [], []
        return [], [f"{folder}: holds no results/ folder: not an output folder of `grade --shard` "
                    f"(or its shard has not started)"]
    found, problems = [], []
    for path in sorted(results.glob("*.json")):   # *.json.tmp: a result being written, not yet a result
        try:
            text, mtime_ns = path.read_text(), path.stat().st_mtime_ns
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}: unreadable ({error})")
            continue
        problem = _problem(path, lab, text)
        if problem:
            problems.append(problem)
        else:
            found.append(Found(path, json.loads(text), mtime_ns))
    return found, problems


def choose(found):
    """{student_id: kept Found} and report lines about duplicates (the newest result is kept)."""
    by_student = {}
    for f in found:
        by_student.setdefault(f.result["student_id"], {})[f.path.resolve()] = f  # a folder named twice: once
    kept, lines = {}, []
    for sid in sorted(by_student):
        candidates = sorted(by_student[sid].values(), key=lambda f: (f.mtime_ns, str(f.path)))
        kept[sid] = candidates[-1]
        if len({json.dumps(f.result, sort_keys=True) for f in candidates}) > 1:
            others = "; ".join(f.describe() for f in candidates[:-1])
            lines.append(f"duplicated: {sid}: kept the newest, {candidates[-1].describe()}; ignored {others}")
    return kept, lines


def check_expected(kept, submissions, work):
    """Report lines and the student ids to leave out, comparing KEPT with the class in SUBMISSIONS."""
    subs, _ = intake.intake(submissions, work)
    expected = {sub.student_id: sub for sub in subs}
    lines, incomplete = [], False
    for sid in sorted(set(expected) - set(kept)):
        lines.append(f"missing: {sid} ({expected[sid].origin}) has no result: run its shard again, then merge again")
        incomplete = True
    for sid in sorted(set(expected) & set(kept)):
        sub, r = expected[sid], kept[sid].result
        if r.get("sha256") != orchestrate.file_hash(sub.path) or r["file"] != sub.origin:
            lines.append(f"stale: {sid}: {kept[sid].path} graded {r['file']}, SUBMISSIONS now holds another "
                         f"{sub.origin}: run its shard again, then merge again")
            incomplete = True
    unexpected = sorted(set(kept) - set(expected))
    for sid in unexpected:
        lines.append(f"unexpected: {sid}: {kept[sid].path} is not a student of {submissions} (left out)")
    return lines, unexpected, incomplete


def _copy_file(source, target):
    """TARGET becomes a copy of SOURCE (times kept), replaced atomically; nothing when it already is one."""
    if target.exists():
        old, new = target.stat(), source.stat()
        if os.path.samefile(source, target) or (old.st_size, old.st_mtime_ns) == (new.st_size, new.st_mtime_ns):
            return   # the same file, or the copy a previous merge made (rsync's test)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    shutil.copy2(source, tmp)
    os.replace(tmp, target)


def _copy_tree(source, target):
    """TARGET becomes a copy of the folder SOURCE: changed files copied, files SOURCE lacks removed."""
    if target.exists() and os.path.samefile(source, target):
        return
    wanted = set()
    for path in source.rglob("*"):
        if path.is_file():
            relative = path.relative_to(source)
            wanted.add(relative)
            _copy_file(path, target / relative)
    for path in sorted(target.rglob("*"), reverse=True):   # files before the folders holding them
        relative = path.relative_to(target)
        if path.is_file() and relative not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def copy_student(final, lab, found):
    """A student's result, feedback page, notebooks and kernel log, from its shard folder into FINAL."""
    sid, folder = found.result["student_id"], found.folder
    _copy_file(found.path, final / "results" / f"{sid}.json")
    page = folder / "feedback" / f"{sid}.html"
    if page.is_file():
        _copy_file(page, final / "feedback" / f"{sid}.html")
    else:
        (final / "feedback").mkdir(exist_ok=True)
        reports.write_feedback(final, lab, found.result)   # the page is made from the result alone
    for name in PER_STUDENT:
        if (folder / name / sid).is_dir():
            _copy_tree(folder / name / sid, final / name / sid)
        else:
            shutil.rmtree(final / name / sid, ignore_errors=True)
    log = folder / "logs" / f"{sid}.kernel.log"
    if log.is_file():
        _copy_file(log, final / "logs" / f"{sid}.kernel.log")


def prune(final, keep):
    """Remove from FINAL every per-student output of a student not in KEEP (FINAL mirrors the DIRs)."""
    for folder, suffix in (("results", ".json"), ("feedback", ".html"), ("logs", ".kernel.log")):
        for path in (final / folder).glob(f"*{suffix}"):
            if path.name[:-len(suffix)] not in keep:
                path.unlink()
    for name in PER_STUDENT:
        for path in (final / name).glob("*"):
            if path.name not in keep:
                shutil.rmtree(path)


def write_gradebook(final, lab, results, db_url, log=print):
    """nbgrader's gradebook (and the nbgrader_config.py that points at it), as `grade` leaves it."""
    template = gradebook.template(lab, final / ".work")
    if db_url is None:
        db_url = f"sqlite:///{final / 'gradebook.db'}"
        if not (final / "gradebook.db").exists():
            shutil.copy(template / "gradebook.db", final / "gradebook.db")
    gradebook.ensure_assignment(db_url, lab, template)
    gradebook.record(db_url, lab, *(results[sid] for sid in sorted(results)))
    gradebook.write_course_config(final, db_url)


def merge(lab_name, folders, final, expect=None, db_url=None, log=print):
    """Merge the shard FOLDERS of LAB_NAME into FINAL; return (results, report lines, complete)."""
    lab = Lab.load(lab_name)
    final = Path(final).resolve()
    folders = [Path(f).resolve() for f in folders]
    found, problems = [], []
    for folder in folders:
        more, trouble = read_folder(folder, lab)
        found += more
        problems += trouble
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise course.CourseError("cannot merge:\n  " + "\n  ".join(shown))
    in_place = final in folders
    if not in_place and (final / "results").is_dir() and not (final / REPORT).exists():
        raise course.CourseError(f"--out {final} holds results that `merge` did not write: name it as a DIR "
                                 f"too to merge into it, or choose a new folder")
    kept, lines = choose(found)
    final.mkdir(parents=True, exist_ok=True)
    if not (final / REPORT).exists():   # marks FINAL as merge's, even if this run stops half-way
        (final / REPORT).write_text("merging...\n")
    work = final / ".work"
    work.mkdir(exist_ok=True)
    complete = True
    if expect is not None:
        with tempfile.TemporaryDirectory(dir=work) as tmp:   # where a .zip is unpacked to read its ids
            more, unexpected, incomplete = check_expected(kept, expect, tmp)
        lines += more
        complete = not incomplete
        for sid in unexpected:
            del kept[sid]
    for sub in ("results", "feedback", "logs"):
        (final / sub).mkdir(exist_ok=True)
    if not in_place:
        prune(final, set(kept))
    for sid in sorted(kept):
        copy_student(final, lab, kept[sid])
    results = {sid: f.result for sid, f in kept.items()}
    write_gradebook(final, lab, results, db_url, log)
    reports.write_grades(final, lab, results)
    reports.write_summary(final, lab, results)
    counts = {}
    for r in results.values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    head = (f"{lab.name}: {len(results)} students merged from {len(folders)} folder(s)"
            + (": " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) if counts else ""))
    lines.insert(0, head)
    if expect is not None and complete:
        lines.insert(1, f"every student of {expect} has a current result")
    (final / REPORT).write_text("\n".join(lines) + "\n")
    for line in lines:
        log(line)
    return results, lines, complete


def run(args):
    course.notebook_name(args.lab)  # unknown lab: a clear error before any work
    if args.expect is not None and not args.expect.exists():
        raise course.CourseError(f"--expect {args.expect} does not exist")
    _, _, complete = merge(args.lab, args.dirs, args.out, expect=args.expect, db_url=args.db)
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'feedback'}/, {args.out / 'summary.csv'}, "
          f"{args.out / 'summary.png'}, {args.out / 'gradebook.db' if args.db is None else args.db}")
    return 0 if complete else 1
