"""Intake: a folder or LMS .zip of notebooks -> one Submission per student, and a note per skipped file.

A student's id is read from each .ipynb file's name, the first rule that matches:

  Canvas   <name>[_LATE]_<user id>_<submission id>_<file>.ipynb  ->  the Canvas user id
           (e.g. smithalice_LATE_48213_901234_xor_mlp-1.ipynb -> 48213)
  Moodle   <Full Name>_<participant id>_assignsubmission_file_<file>.ipynb, or any file inside a
           folder named <Full Name>_<participant id>_assignsubmission_file_  ->  the participant id
           (e.g. Alice Smith_1234_assignsubmission_file_/xor_mlp.ipynb -> 1234)
  plain    <student_id>.ipynb  ->  the file name without .ipynb: letters (any alphabet), digits and
           . _ - @ are kept, anything else becomes _; an id over 64 characters is shortened and made
           unique with a hash of the whole name (two different names never share an id).

Two notebooks with the same id: the newer one (time, then name) is graded and the row says which
file was ignored. A Canvas/Moodle-named file that is not a notebook, for a student with no notebook,
gives that student the status `missing notebook`. Symbolic links are not followed; hidden files,
__MACOSX and checkpoints are ignored; a zip member with an unsafe path (absolute, `..`) or larger
than the size cap is not extracted: every skipped file is named in a note, and a refused notebook
still gets its student a row.
"""
import hashlib
import os
import re
import shutil
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from .. import course
from . import status

CANVAS = re.compile(r"^(?P<name>[^_/]+)_(?P<late>late_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$", re.I)
SKIP = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints|\.[^/]*)(/|$)")
MAX_ID = 64
MAX_NOTEBOOK = 20 << 20      # bytes: larger files are refused, not read
MAX_ARCHIVE = 2 << 30        # bytes extracted from one zip, in all


@dataclass
class Submission:
    student_id: str
    path: Path = None          # the notebook file (None: nothing to grade)
    origin: str = ""           # where it came from, for messages
    status: str = ""           # set when it cannot be graded at all
    notes: list = field(default_factory=list)
    submitted_at: str = None   # ISO 8601 with a time zone
    time_source: str = None    # lms, zip, file
    lms: dict = field(default_factory=lambda: {"system": None, "late": None, "name": None, "submission_id": None})


def clean_id(raw):
    """A student id from RAW: Unicode letters and digits kept, others _, at most MAX_ID characters."""
    text = unicodedata.normalize("NFC", raw.strip())
    cleaned = re.sub(r"_+", "_", "".join(ch if ch.isalnum() or ch in "._-@" else "_" for ch in text))
    cleaned = cleaned.strip("._") or "unnamed"
    return cleaned if len(cleaned) <= MAX_ID else _hashed(cleaned, text)


def _hashed(cleaned, raw):
    return f"{cleaned[:MAX_ID - 9]}-{hashlib.sha256(raw.encode()).hexdigest()[:8]}"


def _raw_id(relpath):
    """(the raw id text a file name gives, LMS details)."""
    parts = PurePosixPath(relpath).parts
    name = PurePosixPath(parts[-1]).stem
    match = CANVAS.match(name)
    if match:
        return match["id"], {"system": "canvas", "late": bool(match["late"]), "name": match["name"],
                             "submission_id": match["sub"]}
    for candidate in (name, *reversed(parts[:-1])):
        match = MOODLE.match(candidate)
        if match:
            return match["id"], {"system": "moodle", "late": None, "name": match["name"], "submission_id": None}
    return unicodedata.normalize("NFC", name.strip()), {"system": None, "late": None, "name": None,
                                                        "submission_id": None}


def assign_ids(raws):
    """{raw id: student id}: clean ids, with a hash added where two different raw ids would meet."""
    ids = {raw: clean_id(raw) for raw in raws}
    meeting = {}
    for raw, sid in ids.items():
        meeting.setdefault(sid, []).append(raw)
    for sid, group in meeting.items():
        if len(group) > 1:
            for raw in group:
                ids[raw] = _hashed(sid, raw)
    return ids


def student_id(relpath):
    """(student id, LMS details) read from one submission's path relative to SUBMISSIONS."""
    raw, lms = _raw_id(relpath)
    return clean_id(raw), lms


def _iso(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc).astimezone().isoformat(timespec="seconds")


def _folder_files(source, notes):
    """(relative path, path, mtime) of every regular file under SOURCE; links are named and skipped."""
    files = []
    for root, dirs, names in os.walk(source, followlinks=False):
        rel_root = Path(root).relative_to(source)
        for name in sorted(dirs):
            if (Path(root) / name).is_symlink():
                notes.append(f"skipped {(rel_root / name).as_posix()}/: a symbolic link (not followed)")
        hidden = [d for d in dirs if SKIP.search((rel_root / d).as_posix())]
        notes.extend(f"skipped {(rel_root / d).as_posix()}/: a hidden or system folder" for d in hidden)
        dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink() and d not in hidden)
        for name in sorted(names):
            path = Path(root) / name
            rel = (rel_root / name).as_posix()
            if SKIP.search(rel):
                notes.append(f"skipped {rel}: a hidden or system file")
                continue
            if path.is_symlink():
                notes.append(f"skipped {rel}: a symbolic link (not followed)")
            elif not path.is_file():
                notes.append(f"skipped {rel}: not a regular file")
            else:
                files.append((rel, path, path.lstat().st_mtime))
    return files


def _zip_files(source, workdir, notes):
    """Extract SOURCE's members into WORKDIR/intake (capped, by index: no member names a path here)."""
    try:
        archive = zipfile.ZipFile(source)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as error:
        raise course.CourseError(f"cannot read SUBMISSIONS {source}: not a readable folder or .zip ({error})")
    target = Path(workdir) / "intake"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    files, total = [], 0
    with archive:
        for index, member in enumerate(members):
            rel = member.filename.replace("\\", "/")
            parts = PurePosixPath(rel).parts
            if rel.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", rel):
                notes.append(f"skipped {rel}: an unsafe path in the zip (absolute or with '..')")
                continue
            if SKIP.search(rel.lstrip("/")):
                notes.append(f"skipped {rel}: a hidden or system file")
                continue
            if member.flag_bits & 0x1:
                notes.append(f"skipped {rel}: encrypted")
                continue
            path = target / f"{index:06d}{PurePosixPath(rel).suffix.lower()[:12]}"
            cap = MAX_NOTEBOOK if rel.lower().endswith(".ipynb") else 1 << 20
            too_large = member.file_size > cap or total + member.file_size > MAX_ARCHIVE
            if not too_large:
                written = 0
                try:
                    with archive.open(member) as fin, open(path, "wb") as fout:
                        while True:
                            chunk = fin.read(1 << 16)
                            if not chunk:
                                break
                            written += len(chunk)
                            if written > cap:  # the declared size lied: a zip bomb
                                too_large = True
                                break
                            fout.write(chunk)
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError, NotImplementedError) as error:
                    notes.append(f"skipped {rel}: unreadable in the zip ({type(error).__name__})")
                    path.unlink(missing_ok=True)
                    continue
                total += written
            if too_large:
                path.unlink(missing_ok=True)
                path = None
            files.append((rel, path, time.mktime(member.date_time + (0, 0, -1))))
    return files


def intake(source, workdir):
    """([Submission] sorted by id, notes about skipped files) read from SOURCE (folder, .zip, .ipynb)."""
    source = Path(source)
    notes = []
    if source.is_symlink() and source.is_dir():
        source = source.resolve()  # the folder named on the command line is the instructor's choice
    if not source.exists():
        raise course.CourseError(f"SUBMISSIONS {source} does not exist")
    if source.is_dir():
        files, time_source = _folder_files(source, notes), "file"
    elif source.suffix.lower() == ".ipynb":
        files, time_source = [(source.name, source, source.stat().st_mtime)], "file"
    else:
        files, time_source = _zip_files(source, workdir, notes), "zip"
    notebooks, others = {}, {}
    raws = {rel: _raw_id(rel) for rel, _, _ in files}
    ids = assign_ids({raw for raw, _ in raws.values()})
    for rel, path, mtime in files:
        raw, lms = raws[rel]
        sid = ids[raw]
        if rel.lower().endswith(".ipynb"):
            notebooks.setdefault(sid, []).append((mtime, rel, path, lms))
        elif lms["system"]:
            others.setdefault(sid, []).append(rel)
        else:
            notes.append(f"skipped {rel}: not a notebook")
    result = []
    for sid, found in notebooks.items():
        found.sort(key=lambda item: (item[0], item[1]))
        mtime, rel, path, lms = found[-1]
        sub = Submission(sid, path, rel, lms=lms, submitted_at=_iso(mtime), time_source=time_source)
        if path is None:
            sub.status = status.INVALID
            sub.notes.append(f"not extracted: larger than {MAX_NOTEBOOK >> 20} MB")
            notes.append(f"student {sid}: {rel} is larger than {MAX_NOTEBOOK >> 20} MB: not extracted")
        elif path.stat().st_size > MAX_NOTEBOOK:
            sub.status = status.INVALID
            sub.notes.append(f"larger than {MAX_NOTEBOOK >> 20} MB")
        if len(found) > 1:
            ignored = ", ".join(r for _, r, _, _ in found[:-1])
            sub.notes.append(f"duplicate id: graded {rel}, ignored {ignored}")
            notes.append(f"student {sid}: {len(found)} notebooks; graded the newest, {rel}; ignored {ignored}")
        result.append(sub)
    for sid, rels in others.items():
        if sid not in notebooks:
            result.append(Submission(sid, None, rels[0], status=status.MISSING, notes=[f"only {', '.join(rels)}"]))
            notes.append(f"student {sid}: no notebook, only {', '.join(rels)}")
        else:
            notes.append(f"skipped {', '.join(rels)}: not a notebook")
    return sorted(result, key=lambda s: s.student_id), notes
