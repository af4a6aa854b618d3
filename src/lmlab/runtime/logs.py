"""Logging and progress for stages: everything goes to stderr, which each rule sends to its
`log:` file (`2> {log}`), so progress bars and messages land in the rule's log."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def setup_logging(level: int = logging.INFO) -> None:
    """Configure the root logger once: timestamped lines on stderr."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def progress(iterable: Iterable[T], desc: str, total: int | None = None, **kwargs) -> Iterable[T]:
    """A tqdm bar on stderr. When stderr is a log file it prints a line at most every 10 s."""
    interactive = sys.stderr.isatty()
    return tqdm(
        iterable,
        desc=desc,
        total=total,
        file=sys.stderr,
        mininterval=0.5 if interactive else 10.0,
        dynamic_ncols=interactive,
        **kwargs,
    )
