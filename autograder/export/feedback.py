"""The feedback students get through the LMS: the grader's page plus a late-submission section.

DIR/feedback/<student>.html stays exactly as the grader wrote it (what the checks said, which only
the grader may write, and what a re-run of `grade` rewrites). Export writes a copy,
DIR/lms_feedback/<student>.html, with one section appended before </body> that states the
deadline, the submission time, the lateness and the penalty; the bundles zip those copies. A
re-export with another policy rewrites the copies and never touches the grader's pages.
"""
import html
import os
import zipfile
from pathlib import Path

from . import late, tables

SECTION_ID = "late-submission"


def _time(when):
    return when.isoformat(sep=" ", timespec="minutes") if when else "unknown"


def rule(policy):
    """The penalty rule in words, e.g. '10% of the maximum per started day, at most 50%'."""
    text = (f"{policy.rate * 100:g}% of {'the score' if policy.of_score else 'the maximum'} "
            f"per started {policy.unit_name()}")
    return text + (f", at most {policy.cap * 100:g}%" if policy.cap < 1 else "")


def section(result, lateness, policy):
    """The late-submission section (HTML) for RESULT, or '' when no deadline applies to it."""
    if lateness.due is None and not lateness.notes:
        return ""
    e = html.escape
    lines = []
    if lateness.due is not None:
        lines.append(f"<b>Deadline:</b> {e(_time(lateness.due))}{' (your extension)' if lateness.extension else ''}")
        source = {"lms": "the LMS", "zip": "the download's file time", "file": "the file time"}.get(result.time_source)
        lines.append(f"<b>Submitted:</b> {e(_time(result.submitted_at))}{f' (from {source})' if source else ''}")
    if lateness.late:
        by = f"by {late.describe(lateness.late_by)}" if lateness.late_by is not None else "(by an unknown time)"
        lines.append(f"<b>Late</b> {e(by)}")
        if lateness.past_cutoff:
            lines.append("<b>Penalty:</b> submitted after the last accepted time: no points")
        elif policy.rate:
            unit = policy.unit_name() + ("s" if lateness.units != 1 else "")
            lines.append(f"<b>Penalty:</b> {e(rule(policy))}; {lateness.units} {unit} charged: "
                         f"&minus;{tables.points(lateness.penalty)} points")
        if lateness.past_cutoff or policy.rate:
            lines.append(f"<b>Score after the late penalty:</b> {tables.points(lateness.points)} / "
                         f"{tables.points(result.max_score)}")
    elif lateness.late is False:
        lines.append("On time.")
    lines += [e(note) for note in lateness.notes]
    return (f'\n<section id="{SECTION_ID}" style="margin-top:1.5em;padding:.6em 1em;border:1px solid #ccc">'
            f'<h2>Late submission policy</h2>\n<p>{"<br>".join(lines)}</p></section>\n')


def write_copy(source, target, extra):
    """TARGET: the page at SOURCE with EXTRA inserted before its last </body> (or at its end)."""
    page = Path(source).read_text(encoding="utf-8")
    at = page.lower().rfind("</body>")
    page = page + extra if at < 0 else page[:at] + extra + page[at:]
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)


def bundle(path, members):
    """PATH: a zip of MEMBERS [(name inside the zip, file)], or no file when there are none."""
    path = Path(path)
    if not members:
        path.unlink(missing_ok=True)
        return 0
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in sorted(members):
            archive.write(source, name)
    os.replace(tmp, path)
    return len(members)
