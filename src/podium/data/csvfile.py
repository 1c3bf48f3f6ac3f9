"""Reading one data file (CSV, parquet or feather), refusing what pandas would read
silently wrong.

CSV is parsed by pyarrow (multi-threaded, no per-row Python objects) where it reads the
file as pandas' C parser would: columns pyarrow would take as dates or times are read
back as text (the loader parses datetimes itself), and a file pyarrow refuses (a type
change past its first block, a ragged row) is read by the C parser, whose errors below
name the file and line. ``.parquet``/``.pq`` and ``.feather``/``.arrow`` files are read
as they are.

pandas renames a repeated header (``x``, ``x.1``), fills a row with too few fields with
NaN and, for a row with one field too many, shifts the columns onto an index. A file that
is a folder, a FIFO or a broken link is "not found" to ``Path.is_file``. Each of these
is one :class:`DataError` line here, naming the file (and the line or column).
"""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pandas as pd

from podium.exceptions import DataError, one_line

__all__ = ["read_csv", "read_table", "COLUMNAR_SUFFIXES"]

DATA_DIR_ENV = "PODIUM_DATA_DIR"
COLUMNAR_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".feather": "feather",
    ".arrow": "feather",
}


def read_table(path: Path, role: str, data_dir: Path) -> pd.DataFrame:
    """Read the ``role`` file at ``path``: parquet/feather by its extension, else CSV
    (:func:`read_csv`).

    Raises:
        DataError: as :func:`read_csv`; a columnar file that cannot be read, names a
            column twice or has no rows.
    """
    kind = COLUMNAR_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return read_csv(path, role, data_dir)
    _check_file(path, role, data_dir)
    try:
        frame = pd.read_parquet(path) if kind == "parquet" else pd.read_feather(path)
    except Exception as exc:  # pyarrow raises many kinds for a broken file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{path}: cannot read {role} file as {kind}: {first}") from None
    if frame.columns.duplicated().any():
        name = frame.columns[frame.columns.duplicated()][0]
        raise DataError(f"{path}: {role} file names column {name!r} twice; rename one")
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{path}: {role} file has no rows")
    return frame


def read_csv(path: Path, role: str, data_dir: Path) -> pd.DataFrame:
    """Read the ``role`` file (``"train"``, ``"test"``, ...) at ``path`` with pandas.

    The field counts are checked only when pandas' result leaves room for a short or long
    row (missing values in the last column, an inferred index, a parser error), so a
    clean file is read once.

    Raises:
        DataError: the file is missing, not a regular file, unreadable, not CSV, empty,
            has a column name twice in its header, or a row whose field count differs
            from the header's (naming its line).
    """
    _check_file(path, role, data_dir)
    try:
        header = _header(path)
        _check_header(header, path, role)
        try:
            frame = _read_arrow(path)
            if frame is None:
                frame = pd.read_csv(path, low_memory=False)
        except pd.errors.ParserError:
            _check_field_counts(path, role, len(header))
            raise
        if _may_have_bad_rows(frame, header):
            _check_field_counts(path, role, len(header))
    except OSError as exc:
        raise DataError(f"{path}: cannot read {role} file: {exc.strerror or exc}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: {role} file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read {role} file as CSV: {one_line(exc)}") from None
    if frame.empty:
        raise DataError(f"{path}: {role} file has no rows")
    return frame


def _read_arrow(path: Path) -> pd.DataFrame | None:
    """The file parsed by pyarrow as the C parser would read it; None where pyarrow
    refuses it (the caller reads it with the C parser, which names the problem)."""
    try:
        frame = pd.read_csv(path, engine="pyarrow")
        # pyarrow infers dates and times; the C parser (and the loader) keep them as text
        timed = [c for c in frame.columns if not _plain_dtype(frame[c].dtype)]
        if timed:
            text = pd.read_csv(
                path, engine="pyarrow", usecols=timed, dtype=dict.fromkeys(timed, "str")
            )
            for col in timed:
                frame[col] = text[col]
    except Exception:  # noqa: BLE001 - any refusal falls back to the C parser
        return None
    return frame


def _plain_dtype(dtype: object) -> bool:
    """A dtype the C parser also gives: numbers, booleans, text."""
    return (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or isinstance(dtype, pd.StringDtype)
    )


def _may_have_bad_rows(frame: pd.DataFrame, header: list[str]) -> bool:
    """A short row leaves NaN in the last column; a long first row makes pandas take the
    first column as the index."""
    if not header or frame.shape[1] == 0:
        return False
    if frame.shape[1] != len(header) or not frame.index.equals(pd.RangeIndex(len(frame))):
        return True
    return bool(frame.iloc[:, -1].isna().any())


def _near(path: Path) -> str:
    """`` - did you mean 'sampleSubmission.csv'?``: a file of the folder whose name differs
    only in case, '_' or '-' (a close spelling could be another role's file: not offered)."""

    def key(name: str) -> str:
        return "".join(ch for ch in name.casefold() if ch.isalnum())

    try:
        same = sorted(p.name for p in path.parent.iterdir() if key(p.name) == key(path.name))
    except OSError:
        return ""
    return f" - did you mean {same[0]!r}?" if same else ""


def _check_file(path: Path, role: str, data_dir: Path) -> None:
    """A regular file (or a link to one) that can be opened for reading."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise DataError(
                f"{path}: {role} file is a broken symbolic link (to {os.readlink(path)})"
            ) from None
        raise DataError(
            f"{role} file not found: {path} (data folder {data_dir}; "
            f"set --data-dir or ${DATA_DIR_ENV}){_near(path)}"
        ) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read {role} file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: {role} file is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise DataError(f"{path}: {role} file is {kind}; podium reads regular files")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: cannot read {role} file: Permission denied")


def _header(path: Path) -> list[str]:
    """The header's fields as pandas reads them (blank lines before it skipped)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if any(field.strip() for field in row):
                return row
    return []


def _check_header(header: list[str], path: Path, role: str) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in seen:
            raise DataError(
                f"{path}: {role} file names column {name!r} twice in its header "
                f"(columns {seen[name]} and {i}); rename one"
            )
        seen[name] = i


def _check_field_counts(path: Path, role: str, expected: int) -> None:
    """Refuse a row whose field count is not the header's, naming its line."""
    if not expected:
        return
    bad = _bad_rows(path)
    if not bad:
        return
    record, got = bad[0]
    line = _line_of(path, record)
    where = f":{line}" if line is not None else ""
    more = f" ({len(bad)} such rows)" if len(bad) > 1 else ""
    fields = "field" if got == 1 else "fields"
    raise DataError(
        f"{path}{where}: {role} row has {got} {fields} but the header has {expected}{more}"
    )


def _bad_rows(path: Path) -> list[tuple[int, int]]:
    """``(record number, fields)`` of each row (the header is record 1, blank lines are
    not records) whose field count is not the header's; pyarrow counts them, fast. Empty
    when pyarrow cannot parse the file at all (pandas then reports it)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    bad: list[tuple[int, int]] = []

    def handler(row: pa_csv.InvalidRow) -> str:
        if row.text.strip():  # pandas skips a line of spaces as a blank line
            bad.append((row.number or 0, row.actual_columns))
        return "skip"

    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=1 << 24, autogenerate_column_names=True
            ),  # the header is record 1, its names f0, f1, ...: only f0 is kept, as text
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=handler
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=["f0"], column_types={"f0": pa.string()}
            ),
        )
        for _ in reader:
            pass
    except (pa.ArrowException, ValueError, OSError):
        return bad
    return bad


def _line_of(path: Path, record: int) -> int | None:
    """The physical line (1-based) that ends record number ``record``."""
    if record < 1:
        return None
    seen = 0
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        for row in reader:
            if not row:  # a blank line
                continue
            seen += 1
            if seen == record:
                return reader.line_num
    return None
