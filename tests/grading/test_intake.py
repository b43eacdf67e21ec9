"""Intake of a class: student ids, LMS names, duplicates, and hostile folders and zips (no grading here)."""
import os
import zipfile

import nbformat
import pytest

from autograder import course
from autograder.grading import intake

NOTEBOOK = nbformat.writes(nbformat.v4.new_notebook())


@pytest.mark.parametrize("path, expected", [
    ("alice.ipynb", "alice"),
    ("2024/section 1/Alice Smith.ipynb", "Alice_Smith"),
    ("smithalice_12345_67890_xor_mlp.ipynb", "12345"),
    ("smithalice_LATE_12345_67890_xor_mlp-1.ipynb", "12345"),
    ("Alice Smith_2001_assignsubmission_file_xor_mlp.ipynb", "2001"),
    ("Alice Smith_2001_assignsubmission_file_/xor_mlp.ipynb", "2001"),
    ("export/Alice Smith_2001_assignsubmission_file_/sub/lab.ipynb", "2001"),
    ("Zoë.ipynb", "Zoë"),
    ("Łukasz Żółć.ipynb", "Łukasz_Żółć"),
])
def test_student_ids_from_file_names(path, expected):
    assert intake.student_id(path)[0] == expected


def test_lms_details_are_kept_for_the_export():
    _, canvas = intake.student_id("smithalice_LATE_12345_67890_xor_mlp-1.ipynb")
    assert canvas == {"system": "canvas", "late": True, "name": "smithalice", "submission_id": "67890"}
    _, moodle = intake.student_id("Alice Smith_2001_assignsubmission_file_/xor_mlp.ipynb")
    assert moodle["system"] == "moodle" and moodle["name"] == "Alice Smith"


def test_different_names_never_share_an_id():
    ids = intake.assign_ids(["Zoë", "Zoé", "a b", "a_b", "a!b", "x" * 300, "x" * 299 + "y"])
    assert len(set(ids.values())) == 7
    assert ids["Zoë"] == "Zoë" and ids["Zoé"] == "Zoé"
    assert all(len(sid) <= intake.MAX_ID for sid in ids.values())


def zip_of(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_hostile_zip_members_are_refused_with_a_note(tmp_path):
    archive = zip_of(tmp_path / "class.zip", {
        "ok.ipynb": NOTEBOOK,
        "../escape.ipynb": NOTEBOOK,
        "/etc/absolute.ipynb": NOTEBOOK,
        "bomb.ipynb": b"\0" * (intake.MAX_NOTEBOOK + 1),       # compresses to a few kB
        "a" * 300 + ".ipynb": NOTEBOOK,
        "__MACOSX/._ok.ipynb": b"junk",
        "notes.txt": b"not a notebook",
    })
    subs, notes = intake.intake(archive, tmp_path / "work")
    by_id = {sub.student_id: sub for sub in subs}
    assert set(by_id) == {"ok", "bomb", intake.clean_id("a" * 300)}
    assert by_id["bomb"].status == "invalid notebook" and by_id["bomb"].path is None
    assert "larger than" in by_id["bomb"].notes[0]
    text = "\n".join(notes)
    for name in ("../escape.ipynb", "/etc/absolute.ipynb", "notes.txt", "__MACOSX/._ok.ipynb"):
        assert f"skipped {name}" in text, text
    assert not any(p.name == "escape.ipynb" for p in tmp_path.rglob("*"))
    assert by_id["ok"].time_source == "zip" and by_id["ok"].submitted_at[-6] in "+-"


def test_symlinks_in_a_folder_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text(NOTEBOOK)
    src = tmp_path / "src"
    src.mkdir()
    (src / "alice.ipynb").write_text(NOTEBOOK)
    os.symlink(outside / "secret.ipynb", src / "mallory.ipynb")
    os.symlink(outside, src / "linked")
    subs, notes = intake.intake(src, tmp_path / "work")
    assert [sub.student_id for sub in subs] == ["alice"]
    assert "skipped mallory.ipynb: a symbolic link (not followed)" in notes
    assert "skipped linked/: a symbolic link (not followed)" in notes


def test_duplicates_keep_the_newest_and_say_so(tmp_path):
    for folder, mtime in (("a", 1_600_000_000), ("b", 1_700_000_000)):
        path = tmp_path / "src" / folder / "erin.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(NOTEBOOK)
        os.utime(path, (mtime, mtime))
    (tmp_path / "src" / "frank_3003_4004_notes.pdf").write_bytes(b"%PDF-1.4")
    subs, notes = intake.intake(tmp_path / "src", tmp_path / "work")
    frank, erin = subs  # sorted by id: 3003, erin
    assert erin.origin == "b/erin.ipynb" and "ignored a/erin.ipynb" in erin.notes[0]
    assert frank.student_id == "3003" and frank.status == "missing notebook"


def test_unreadable_zip_is_a_clear_error(tmp_path):
    bad = tmp_path / "class.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(course.CourseError, match="cannot read SUBMISSIONS .*class.zip"):
        intake.intake(bad, tmp_path / "work")
