"""CSV files in and out: what the LMSs export, what an instructor saved from a spreadsheet."""
import csv
import io
import os
from pathlib import Path

from .results import ExportError

SEPARATORS = (",", ";", "\t")


def _separator(lines):
    """The separator that splits the first lines into the same number (> 1) of fields, most fields first.

    Canvas exports with ';' in locales that write decimal commas, and Excel saves with the locale's
    list separator; Canvas's importer makes the same guess between ',' and ';'."""
    best, fields = ",", 1
    for sep in SEPARATORS:
        try:
            counts = {len(row) for row in csv.reader(lines, delimiter=sep)}
        except csv.Error:
            continue
        if len(counts) == 1 and (count := counts.pop()) > fields:
            best, fields = sep, count
    return best


def read(path, what):
    """(header, rows) of the CSV file PATH, cells stripped; WHAT names the file in errors."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ExportError(f"{path}: cannot read {what} ({error.strerror or error})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # a spreadsheet saved as "CSV" on Windows
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ExportError(f"{path}: {what} is empty")
    try:  # the text itself, not LINES: a quoted cell (a feedback comment) may hold line breaks
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=_separator(lines[:3]))
                if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ExportError(f"{path}: {what} is not valid CSV ({error})")
    header = [cell.strip() for cell in rows[0]]
    width = len(header)
    body = [[cell.strip() for cell in row] + [""] * (width - len(row)) for row in rows[1:]]
    return header, body


def column(header, path, what, *names, required=True):
    """Index of the first column of HEADER named one of NAMES (case-insensitive), or None."""
    folded = [h.casefold() for h in header]
    for name in names:
        if name.casefold() in folded:
            return folded.index(name.casefold())
    if required:
        raise ExportError(f"{path}: {what} has no {names[0]!r} column (its columns: {', '.join(header)})")
    return None


def write(path, header, rows):
    """Write HEADER and ROWS to PATH as UTF-8 comma-separated CSV, all at once."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def points(x):
    """A score as the LMSs show it: at most two decimals, no trailing zeros (9.5, 10, 7.33)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")
