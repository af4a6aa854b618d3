"""Line-by-line reading and the bad-data rules (SPEC §10) shared by every dataset reader.

Every reader treats one physical line (ended by `\\n`, as `wc -l` and awk count them) as one record,
so the line numbers it reports are the ones an editor shows. A malformed record is skipped and
recorded as `(line number, reason)`; at the end `check_rows` turns a file that is mostly malformed,
or that has no good record at all, into an error naming the file, and logs what was skipped.
A gzip-compressed file (ConceptNet is distributed as `.csv.gz`) is recognised by its magic bytes
and decompressed while it is read, never whole into memory nor to disk.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

log = logging.getLogger(__name__)

Skipped = tuple[int, str]
"""A skipped record: its 1-based line number and why it was skipped."""

_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"
_LOGGED_LINES = 20


def is_gzip(path: str | os.PathLike) -> bool:
    """True when `path` starts with the gzip magic bytes (whatever its name)."""
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


@contextmanager
def open_binary(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open `path` for reading bytes, decompressing on the fly when it is gzip-compressed.

    The magic bytes are peeked, not consumed, so this also works on a pipe (`/dev/fd/N`). A
    truncated or corrupt gzip stream, met while the block reads, is a `ValueError` naming `path`.
    """
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] != _GZIP_MAGIC:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            try:
                yield unzipped
            except (EOFError, gzip.BadGzipFile, zlib.error) as err:
                raise ValueError(f"{path}: corrupt or truncated gzip data ({err})") from None


def iter_lines(path: str | os.PathLike, skipped: list[Skipped]) -> Iterator[tuple[int, str]]:
    """Yield `(line number, text)` for each line of a UTF-8 file, without its line ending.

    The file is read in binary and split on `\\n` only, so a stray `\\r` or form feed inside a
    field never splits a record; a UTF-8 byte-order mark at the start (MRPC) and a final `\\r`
    (CRLF files) are removed; a last line without a trailing newline is still yielded. A line that
    is not valid UTF-8 is appended to `skipped` instead of being yielded. Streams: memory use does
    not depend on the file's size, also for a gzip file (`open_binary`).
    """
    with open_binary(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                skipped.append((number, f"not UTF-8 ({err.reason} at byte {err.start})"))
                continue
            yield number, text.rstrip("\n").removesuffix("\r")


def check_rows(path: str | os.PathLike, n_good: int, skipped: list[Skipped]) -> None:
    """Apply the bad-data rules to a file that gave `n_good` good records and `skipped` bad ones.

    More than half of the records malformed is a `ValueError` (the file is probably not in the
    format it was read as); no good record at all is a `ValueError` (an empty split); otherwise the
    skipped records, if any, are logged as a warning with their line numbers.
    """
    n_bad = len(skipped)
    if n_bad > n_good:
        raise ValueError(
            f"{path}: {n_bad} of {n_good + n_bad} records are malformed (more than half), "
            f"e.g. {_describe(skipped[:3])}; is this the right file and format?"
        )
    if n_good == 0:
        raise ValueError(f"{path}: no records (empty split)")
    if skipped:
        more = f" and {n_bad - _LOGGED_LINES} more" if n_bad > _LOGGED_LINES else ""
        log.warning(
            "%s: skipped %d malformed record(s): %s%s",
            path,
            n_bad,
            _describe(skipped[:_LOGGED_LINES]),
            more,
        )


def _describe(skipped: list[Skipped]) -> str:
    return "; ".join(f"line {line}: {reason}" for line, reason in skipped)
