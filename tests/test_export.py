"""`python -m autograder export`: Canvas and Moodle imports, late policy, feedback bundles.

Each test builds a grading output folder (DIR/results/*.json and DIR/feedback/*.html, in the form
autograder/export/results.py documents) instead of running the grader, and checks the files export
writes against what Canvas's and Moodle's importers do with them (rules quoted from their code).
"""
import csv
import json
import re
import zipfile
from pathlib import Path

import pytest

from autograder import __main__ as cli

LAB = "01_xor_mlp"
FIXTURES = Path(__file__).parent / "fixtures" / "lms"
DUE = "2025-03-01T23:59:00+00:00"


def result(out, sid, score, status="graded", submitted=None, source=None, system=None, late=None, name=None,
           submission=None, file=None, notes=()):
    """Write DIR/results/<sid>.json and the grader's DIR/feedback/<sid>.html for one student."""
    record = {"student_id": sid, "lab": LAB, "score": score, "max_score": 10.0, "status": status,
              "notes": list(notes), "file": file or f"{sid}.ipynb", "submitted_at": submitted,
              "time_source": source if submitted else None,
              "lms": {"system": system, "late": late, "name": name, "submission_id": submission},
              "cells": {"xor_truth_table": score}}
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "results" / f"{sid}.json").write_text(json.dumps(record))
    (out / "feedback").mkdir(exist_ok=True)
    (out / "feedback" / f"{sid}.html").write_text(
        f"<!DOCTYPE html>\n<html><head><title>{LAB}</title></head><body><h1>{LAB}: {sid}</h1>"
        f"<p><b>Score:</b> {score:g} / 10</p></body></html>\n")


def canvas_class(out):
    """A Canvas download's class: on time, late, LATE-tagged without a time, a grading error, an
    extension, a dropped student, a plain file matched by SIS login, and one student twice."""
    canvas = dict(system="canvas", source="lms")
    result(out, "48213", 9, submitted="2025-03-01T20:00:00+00:00", late=False, name="smithalice",
           submission="901234", file="smithalice_48213_901234_xor_mlp.ipynb", **canvas)
    result(out, "48214", 8, submitted="2025-03-03T02:00:00+00:00", late=True, name="jonesbob",
           submission="901235", file="jonesbob_LATE_48214_901235_xor_mlp.ipynb", **canvas)
    result(out, "48216", 7, late=True, name="garciadana", submission="901236", system="canvas",
           file="garciadana_LATE_48216_901236_xor_mlp.ipynb")
    result(out, "48217", 0, status="grading error", submitted="2025-03-01T21:00:00+00:00", late=False,
           name="wuevan", submission="901237", **canvas)
    result(out, "48218", 10, submitted="2025-03-03T10:00:00+00:00", late=True, name="kimfay",
           submission="901238", **canvas)
    result(out, "99999", 4, submitted="2025-03-01T10:00:00+00:00", late=False, name="ghostcasper",
           submission="901239", **canvas)
    result(out, "clee", 5)  # a plain clee.ipynb: time unknown, matched by SIS Login ID
    result(out, "48220", 6, submitted="2025-03-01T10:00:00+00:00", late=False, name="brownhugo",
           submission="901240", **canvas)
    result(out, "hbrown", 9)  # the same student again, as a plain file


def export(*args):
    return cli.main(["export", LAB, *map(str, args)])


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def rows_by(path, key):
    rows = read_csv(path)
    return {row[rows[0].index(key)]: dict(zip(rows[0], row)) for row in rows[1:]}


# --------------------------------------------------------------------------------------------- Canvas

def canvas_accepts(rows):
    """{Canvas user id: cell} for the lab column, after the checks Canvas's GradebookImporter makes:
    Student and ID first, Section as the last key column, the Points Possible and Manual Posting rows
    skipped, assignment columns 'Title (id)'."""
    header = rows[0]
    assert "Student" in header[0] and "ID" in header[1]
    assert header[2:5] == ["SIS User ID", "SIS Login ID", "Section"]
    assert re.match(r"^.+ \((\d+)\)$", header[5]) and len(header) == 6
    cells = {}
    for row in rows[1:]:
        assert len(row) == 6
        if "Points Possible" in row[0] or all(re.match(r"^\s*(Muted|Manual Posting.*)?\s*$", c) for c in row):
            continue
        cells[row[1]] = row[5]
    return cells


def test_canvas_import_has_penalised_scaled_points_and_lists_what_needs_a_look(tmp_path, capsys):
    canvas_class(tmp_path)
    assert export(tmp_path, "--canvas", FIXTURES / "canvas_gradebook.csv", "--due", DUE, "--penalty", "10%/day",
                  "--extensions", FIXTURES / "extensions.csv") == 0
    printed = capsys.readouterr().out
    rows = read_csv(tmp_path / "canvas_import.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 01: XOR and the MLP (1234501)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "20.00"]  # Canvas's own, unchanged
    cells = canvas_accepts(rows)
    # Points out of Canvas's 20: Alice 9 on time; Bob 8 late by 1 day 2 h (2 started days: -2);
    # Chen (plain clee.ipynb, SIS login) 5, time unknown; Dana 7 LATE-tagged, time unknown (one day: -1);
    # Evan a grading error (blank); Fay 10, on time within her 3-day extension; Gina no submission;
    # Hugo twice (blank); the Test Student blank.
    assert cells == {"48213": "18", "48214": "12", "48215": "10", "48216": "12", "48217": "", "48218": "20",
                     "48219": "", "48220": "", "48299": ""}
    assert rows[2] == ["Smith, Alice", "48213", "S1001", "asmith", "DL 2025 Section A", "18"]
    report = (tmp_path / "export_report.txt").read_text()
    assert report == printed
    for expected in ["canvas_import.csv: 5 grades for Lab 01: XOR and the MLP (1234501), scaled to Canvas's 20",
                     "not in the gradebook (not posted) (1):\n  99999",
                     "without a result (left blank) (1):\n  Park, Gina (ID 48219)",
                     "several results for one student (none posted; keep one and export again) (1):\n  48220, hbrown",
                     "grading errors (grade these again) (1):\n  48217: grading error",
                     "48214: -2 points (late by 1 day 2 h 1 min)", "48216: -1 points",
                     "clee: submission time unknown: no late penalty applied",
                     "extensions for no known student (1):\n  nobody@example.edu"]:
        assert expected in report
    assert "Student, Test" not in report


def test_canvas_assignment_column_by_title_or_id_and_errors_that_list_the_columns(tmp_path, capsys):
    canvas_class(tmp_path)
    gradebook = FIXTURES / "canvas_gradebook.csv"
    assert export(tmp_path, "--canvas", gradebook, "--assignment", "1234502") == 0
    assert read_csv(tmp_path / "canvas_import.csv")[0][-1] == "Lab 02: Activations (1234502)"
    assert read_csv(tmp_path / "canvas_import.csv")[2][-1] == "9"  # scaled to its 10 points: 9 / 10 * 10
    assert export(tmp_path, "--canvas", gradebook, "--assignment", "lab 01: xor and the mlp") == 0
    assert read_csv(tmp_path / "canvas_import.csv")[0][-1] == "Lab 01: XOR and the MLP (1234501)"
    capsys.readouterr()
    assert export(tmp_path, "--canvas", gradebook, "--assignment", "Lab") == 2
    err = capsys.readouterr().err
    assert "more than one assignment column matches --assignment 'Lab'" in err
    assert "Lab 01: XOR and the MLP (1234501); Lab 02: Activations (1234502)" in err
    assert "Current Score" not in err


def test_canvas_semicolon_export_with_a_byte_order_mark_reads_the_same(tmp_path):
    canvas_class(tmp_path)
    rows = read_csv(FIXTURES / "canvas_gradebook.csv")
    semicolons = tmp_path / "gradebook_de.csv"
    with open(semicolons, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f, delimiter=";").writerows([[c.replace("20.00", "20,00") for c in row] for row in rows])
    assert export(tmp_path, "--canvas", semicolons) == 0
    cells = canvas_accepts(read_csv(tmp_path / "canvas_import.csv"))
    assert cells["48213"] == "18" and cells["48214"] == "16"  # no --due: no penalty


def test_canvas_export_without_an_id_column_is_a_clear_error(tmp_path, capsys):
    canvas_class(tmp_path)
    bad = FIXTURES / "canvas_gradebook_without_id.csv"
    assert export(tmp_path, "--canvas", bad) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "first columns must be Student, ID" in err and "SIS User ID" in err
    assert not (tmp_path / "canvas_import.csv").exists()


def test_canvas_feedback_zip_names_map_back_by_canvas_reupload_rule(tmp_path):
    canvas_class(tmp_path)
    assert export(tmp_path, "--due", DUE, "--penalty", "10%/day") == 0
    with zipfile.ZipFile(tmp_path / "canvas_feedback.zip") as archive:
        names = archive.namelist()
        bob = archive.read("jonesbob_48214_901235_xor-mlp-feedback.html").decode()
    # Canvas (Assignment#infer_comment_context_from_filename): split the file name at '_'; the first two
    # all-digit parts are the user id and the id of the file that user submitted.
    mapped = {tuple(p for p in n.split("_") if p.isdigit())[:2] for n in names}
    assert mapped == {("48213", "901234"), ("48214", "901235"), ("48216", "901236"), ("48218", "901238"),
                      ("99999", "901239"), ("48220", "901240")}  # not 48217's grading error
    assert "Late</b> by 1 day 2 h 1 min" in bob and "2 days charged: &minus;2 points" in bob
    assert "Score after the late penalty:</b> 6 / 10" in bob
    report = (tmp_path / "export_report.txt").read_text()
    assert "feedback in no LMS zip (hand back" in report
    assert "  48217: a grading error: grade it again first\n  clee: not an LMS download\n" in report


# --------------------------------------------------------------------------------------------- Moodle

def moodle_class(out):
    moodle = dict(system="moodle", source="lms")
    result(out, "1234", 9, submitted="2025-03-01T20:00:00+00:00", name="Alice Smith",
           file="Alice Smith_1234_assignsubmission_file_/xor_mlp.ipynb", **moodle)
    result(out, "1235", 8, submitted="2025-03-02T04:59:00+00:00", name="Bob Jones", **moodle)
    result(out, "1236", 6, name="Chen Lee", system="moodle")
    result(out, "1240", 3, submitted="2025-03-01T20:00:00+00:00", name="Zed Nobody", **moodle)
    result(out, "d.garcia@example.edu", 7, submitted="2025-03-01T21:30:00+00:00", source="file")


def test_moodle_worksheet_gives_gradebook_import_and_filled_worksheet(tmp_path, capsys):
    moodle_class(tmp_path)
    worksheet = FIXTURES / "moodle_grading_worksheet.csv"
    assert export(tmp_path, "--moodle", worksheet, "--due", DUE, "--penalty", "2%/hour") == 0
    report = capsys.readouterr().out
    # Moodle's gradebook import aborts on a row whose user it cannot find: only matched, graded rows.
    # Out of the worksheet's Maximum Grade 100: Bob 8 late by 5 h (-10% of 10 = -1) -> 70.
    assert read_csv(tmp_path / "moodle_import.csv") == [
        ["Full name", "Email address", LAB],
        ["Alice Smith", "alice.smith@example.edu", "90"], ["Bob Jones", "bob.jones@example.edu", "70"],
        ["Chen Lee", "chen.lee@example.edu", "60"], ["Dana Garcia", "d.garcia@example.edu", "70"]]
    sheet = read_csv(tmp_path / "moodle_worksheet.csv")
    assert sheet[0] == read_csv(worksheet)[0]
    grades = {row[0]: row[4] for row in sheet[1:]}
    assert grades == {"Participant 1234": "90", "Participant 1235": "70", "Participant 1236": "60",
                      "Participant 1237": "70", "Participant 1238": ""}
    assert [row[7] for row in sheet[1:]] == [row[7] for row in read_csv(worksheet)[1:]]  # the rest as downloaded
    assert "not in the participants file (not posted) (1):\n  1240" in report
    assert "participants without a result (left out) (1):\n  Evan Wu" in report
    assert "1236: submission time unknown" in report


def test_moodle_feedback_zip_follows_moodles_feedback_upload_layout(tmp_path):
    moodle_class(tmp_path)
    assert export(tmp_path, "--moodle", FIXTURES / "moodle_grading_worksheet.csv") == 0
    with zipfile.ZipFile(tmp_path / "moodle_feedback.zip") as archive:
        names = archive.namelist()
    # Moodle (assignfeedback_file_zip_importer::is_valid_filename_for_import): a path part split at '_'
    # into at most 5 pieces, at least 4, whose second is the participant id and third and fourth a plugin.
    owners = set()
    for name in names:
        for part in name.split("/"):
            info = part.split("_", 4)
            if len(info) >= 4 and info[1].isdigit():
                assert info[2:4] == ["assignsubmission", "file"]
                owners.add(info[1])
                break
    assert owners == {"1234", "1235", "1236", "1240"}
    assert "Alice Smith_1234_assignsubmission_file_/xor-mlp-feedback.html" in names


def test_moodle_user_list_matches_by_name_and_id_number(tmp_path):
    moodle_class(tmp_path)
    result(tmp_path, "20250002", 5)  # a plain file named by ID number: Bob, who also came as 1235
    assert export(tmp_path, "--moodle", FIXTURES / "moodle_gradebook_export.csv", "--moodle-item",
                  "Assignment: Lab 01 XOR") == 0
    rows = read_csv(tmp_path / "moodle_import.csv")
    assert rows[0] == ["Full name", "Email address", "ID number", "Assignment: Lab 01 XOR"]
    assert rows[1:] == [["Alice Smith", "alice.smith@example.edu", "20250001", "9"],
                        ["Chen Lee", "chen.lee@example.edu", "20250003", "6"],
                        ["Dana Garcia", "d.garcia@example.edu", "20250004", "7"]]
    assert "several results for one student (none posted; keep one and export again) (1):\n  1235, 20250002" \
        in (tmp_path / "export_report.txt").read_text()
    assert not (tmp_path / "moodle_worksheet.csv").exists()


def test_moodle_file_without_user_columns_is_a_clear_error(tmp_path, capsys):
    moodle_class(tmp_path)
    bad = tmp_path / "names.csv"
    bad.write_text("Full name,Grade\nAlice Smith,\n")
    assert export(tmp_path, "--moodle", bad) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Identifier, Email address or ID number" in err


# ----------------------------------------------------------------------------------------- late policy

def late_grades(tmp_path, *policy):
    assert export(tmp_path, "--due", DUE, *policy) == 0
    return rows_by(tmp_path / "lms_grades.csv", "student_id")


def test_lms_grades_csv_penalty_cap_cutoff_grace_and_unknown_times(tmp_path):
    canvas_class(tmp_path)
    rows = late_grades(tmp_path, "--penalty", "10%/day")
    bob = rows["48214"]
    assert (bob["points"], bob["max_points"], bob["late"], bob["late_days"], bob["penalty"],
            bob["score_before_penalty"]) == ("6", "10", "yes", "1.08", "2", "8")
    assert (rows["48213"]["late"], rows["48213"]["penalty"], rows["48213"]["points"]) == ("no", "0", "9")
    assert (rows["48216"]["late"], rows["48216"]["late_days"], rows["48216"]["points"]) == ("yes", "", "6")
    assert "Canvas marked it late: charged one day" in rows["48216"]["notes"]
    assert rows["48217"]["points"] == "" and rows["48217"]["status"] == "grading error"
    assert (rows["clee"]["late"], rows["clee"]["points"]) == ("unknown", "5")
    assert late_grades(tmp_path, "--penalty", "30%/day", "--penalty-cap", "50%")["48214"]["points"] == "3"  # -min(60%, 50%)
    assert late_grades(tmp_path, "--penalty", "10%/day", "--penalty-of", "score")["48214"]["points"] == "6.4"
    assert late_grades(tmp_path, "--penalty", "1%/hour")["48214"]["penalty"] == "2.7"  # 26 h 1 min: 27 started hours
    assert late_grades(tmp_path, "--penalty", "10%/day", "--grace", "2h5m")["48214"]["points"] == "7"  # 1 day left
    cut = late_grades(tmp_path, "--penalty", "10%/day", "--cutoff", "1d")
    assert (cut["48214"]["points"], cut["48218"]["points"], cut["48213"]["points"]) == ("0", "0", "9")
    assert late_grades(tmp_path, "--penalty", "10%/day", "--cutoff", "2025-03-03T03:00:00+00:00")["48214"]["points"] == "6"


def test_due_without_an_offset_is_read_in_the_given_time_zone(tmp_path):
    canvas_class(tmp_path)
    # 2025-03-03 02:00 UTC is 03:00 in Berlin: due 03:30 Berlin time, Bob is on time.
    rows = late_grades_tz(tmp_path, "2025-03-03T03:30", "Europe/Berlin")
    assert rows["48214"]["late"] == "no" and rows["48214"]["due"] == "2025-03-03T03:30:00+01:00"
    assert late_grades_tz(tmp_path, "2025-03-03 02:30", "Europe/Berlin")["48214"]["late"] == "yes"


def late_grades_tz(tmp_path, due, zone):
    assert export(tmp_path, "--due", due, "--timezone", zone, "--penalty", "10%/day") == 0
    return rows_by(tmp_path / "lms_grades.csv", "student_id")


def test_feedback_copies_carry_the_late_section_and_the_graders_pages_stay_as_written(tmp_path):
    canvas_class(tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "feedback").iterdir()}
    assert export(tmp_path, "--due", DUE, "--penalty", "10%/day", "--extensions", FIXTURES / "extensions.csv",
                  "--canvas", FIXTURES / "canvas_gradebook.csv") == 0  # the gradebook knows Fay's login, fkim
    assert {p.name: p.read_bytes() for p in (tmp_path / "feedback").iterdir()} == before
    fay = (tmp_path / "lms_feedback" / "48218.html").read_text()
    assert fay.index('<section id="late-submission"') < fay.index("</body>") < fay.index("</html>")
    assert "2025-03-04 23:59+00:00 (your extension)" in fay and "On time." in fay
    assert "Canvas marked it late; the penalty follows the submission time and the deadline here" in fay
    dana = (tmp_path / "lms_feedback" / "48216.html").read_text()
    assert "(by an unknown time)" in dana and "1 day charged: &minus;1 points" in dana
    assert fay.startswith(before["48218.html"].decode().split("</body>")[0])
    assert export(tmp_path) == 0  # no policy: the copies are the grader's pages
    assert (tmp_path / "lms_feedback" / "48218.html").read_bytes() == before["48218.html"]


@pytest.mark.parametrize("args, message", [
    (["--penalty", "10%/day"], "--penalty need(s) --due"),
    (["--due", "March 1st"], "--due: 'March 1st' is not a date and time"),
    (["--due", DUE, "--penalty", "ten percent"], "--penalty 'ten percent': write a percentage per day or per hour"),
    (["--due", DUE, "--cutoff", "soon"], "'soon' is not a date and time"),
    (["--due", DUE, "--penalty-cap", "150%"], "--penalty-cap: '150%' must be between 0% and 100%"),
    (["--due", DUE, "--timezone", "Mars/Olympus"], "'Mars/Olympus' is not a time zone name"),
])
def test_bad_policy_arguments_are_clear_errors(tmp_path, capsys, args, message):
    canvas_class(tmp_path)
    assert export(tmp_path, *args) == 2
    assert message in capsys.readouterr().err


def test_bad_extensions_and_results_files_are_named_in_the_error(tmp_path, capsys):
    canvas_class(tmp_path)
    ext = tmp_path / "ext.csv"
    ext.write_text("student,extension\n48214,tomorrow\n")
    assert export(tmp_path, "--due", DUE, "--extensions", ext) == 2
    assert f"{ext}, line 2: 'tomorrow' is not a duration" in capsys.readouterr().err
    record = json.loads((tmp_path / "results" / "48213.json").read_text())
    record["submitted_at"] = "2025-03-01T20:00:00"
    (tmp_path / "results" / "48213.json").write_text(json.dumps(record))
    assert export(tmp_path) == 2
    assert "48213.json: submitted_at: '2025-03-01T20:00:00' has no time zone" in capsys.readouterr().err
    assert export(tmp_path / "nowhere") == 2
    assert "results does not exist: run `python -m autograder grade 01_xor_mlp" in capsys.readouterr().err


def test_a_record_without_time_or_lms_fields_exports_with_the_time_unknown(tmp_path):
    result(tmp_path, "asmith", 4, status="invalid notebook: not JSON")
    record = json.loads((tmp_path / "results" / "asmith.json").read_text())
    for key in ("submitted_at", "time_source", "lms"):
        del record[key]  # what a grader that records no times writes
    (tmp_path / "results" / "asmith.json").write_text(json.dumps(record))
    assert export(tmp_path, "--canvas", FIXTURES / "canvas_gradebook.csv", "--due", DUE, "--penalty", "10%/day") == 0
    assert canvas_accepts(read_csv(tmp_path / "canvas_import.csv"))["48213"] == "8"  # by SIS login; 4 of 10 = 8 of 20
    report = (tmp_path / "export_report.txt").read_text()
    assert "posted, but not a normal run: check (1):\n  asmith: invalid notebook: not JSON" in report
    assert "asmith: submission time unknown: no late penalty applied" in report
