"""What an instructor reads: grades.csv, summary.csv and summary.png, one feedback page per student.

Feedback shows per graded check its points and a message the checker wrote (the visible check's
failure, a hidden test's description or constant message, or why the check was not graded), the
status and which protections applied. It never shows a hidden test, a solution or text produced by
student code.
"""
import csv
import html
import os
from pathlib import Path

from . import status as statuses

COLUMNS = ["student_id", "lab", "score", "max_score", "status", "notes", "protections"]


def fmt(x):
    return f"{x:g}"


def _replace(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_grades(out, lab, results):
    """OUT/grades.csv: one row per student, sorted by id, points per graded cell."""
    gids = list(lab.tests)
    path = Path(out) / "grades.csv"
    tmp = path.with_name("grades.csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS + gids)
        for r in sorted(results.values(), key=lambda r: r["student_id"]):
            writer.writerow([r["student_id"], r["lab"], fmt(r["score"]), fmt(r["max_score"]), r["status"],
                             "; ".join(r["notes"]), r.get("protections", "")]
                            + [fmt(r["cells"].get(g, 0)) for g in gids])
    os.replace(tmp, path)


def write_summary(out, lab, results):
    """OUT/summary.csv and OUT/summary.png: how the class did, per graded cell and in total."""
    out = Path(out)
    rows = list(results.values())
    n = len(rows)
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["grade_id", "description", "max_points", "mean_points", "fraction_passing", "students"])
        for gid, test in lab.tests.items():
            points = [r["cells"].get(gid, 0) for r in rows]
            passing = sum(p >= test.points for p in points)
            writer.writerow([gid, test.description, fmt(test.points), f"{sum(points) / max(n, 1):.3f}",
                             f"{passing / max(n, 1):.3f}", n])
        scores = [r["score"] for r in rows]
        writer.writerow(["total", "whole lab", fmt(lab.max_score), f"{sum(scores) / max(n, 1):.3f}",
                         f"{sum(s >= lab.max_score for s in scores) / max(n, 1):.3f}", n])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 1.4]})
    left.hist([r["score"] for r in rows], bins=min(20, max(5, int(lab.max_score) + 1)),
              range=(0, lab.max_score), color="tab:blue", edgecolor="white")
    left.set(xlabel=f"score (out of {fmt(lab.max_score)})", ylabel="students",
             title=f"{lab.name}: score distribution ({n} students)")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    gids = list(lab.tests)
    fractions = [sum(r["cells"].get(g, 0) >= lab.tests[g].points for r in rows) / max(n, 1) for g in gids]
    right.barh(gids[::-1], fractions[::-1], color="tab:green")
    right.set(xlim=(0, 1), xlabel="fraction of the class with full points", title="per graded cell")
    fig.tight_layout()
    fig.savefig(out / "summary.png", dpi=100)
    plt.close(fig)


def write_feedback(out, lab, result):
    """OUT/feedback/<student>.html: status, protections, and per check its points and the grader's message."""
    e = html.escape
    rows = []
    for gid, test in lab.tests.items():
        points = result["cells"].get(gid, 0)
        check = result.get("checks", {}).get(gid, {})
        outcome = check.get("outcome") or ("passed" if points >= test.points else "failed")
        message = check.get("message", "")
        if outcome != "passed" and not message:
            message = f"Not graded: {result['status']}."
        label = {"passed": "passed", "failed": "failed", "lost": "not graded"}.get(outcome, "failed")
        rows.append(f"<tr class='{'pass' if outcome == 'passed' else 'fail'}'><td><code>{e(gid)}</code><br>"
                    f"{e(test.description)}</td><td>{fmt(points)} / {fmt(test.points)}</td><td>{label}</td>"
                    f"<td><pre>{e(message)}</pre></td></tr>")
    explain = statuses.EXPLAIN.get(result["status"], "")
    explain = f"<p><b>What happened:</b> {e(explain)}.</p>" if explain else ""
    notes = "".join(f"<li>{e(note)}</li>" for note in result["notes"])
    notes = f"<p><b>Notes:</b></p><ul>{notes}</ul>" if notes else ""
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{e(lab.name)}: feedback for {e(result['student_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top}} tr.pass td{{background:#eefbea}}
tr.fail td{{background:#fdeeee}} pre{{white-space:pre-wrap;margin:0;max-width:60em}}</style></head>
<body><h1>{e(lab.name)}: {e(result['student_id'])}</h1>
<p><b>Score:</b> {fmt(result['score'])} / {fmt(result['max_score'])}<br><b>Status:</b> {e(result['status'])}<br>
<b>File:</b> {e(result['file'])}<br><b>Protections:</b> {e(result.get('protections', ''))}</p>{explain}{notes}
<p>Each graded check below runs visible tests (the ones in your notebook) and hidden tests (your code on
other inputs). Hidden tests are not shown.</p>
<table><tr><th>check</th><th>points</th><th>result</th><th>message</th></tr>
{''.join(rows)}
</table></body></html>
"""
    folder = Path(out) / "feedback"
    folder.mkdir(exist_ok=True)
    _replace(folder / f"{result['student_id']}.html", page)
