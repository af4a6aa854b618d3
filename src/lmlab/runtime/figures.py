"""Writing figures: every family draws `matplotlib.figure.Figure` objects without pyplot (no
global state, no display backend) and saves them here, atomically, like every other output."""

from __future__ import annotations

import os

from matplotlib.figure import Figure

from lmlab.runtime.atomic import atomic_path


def save_figure(fig: Figure, path: str | os.PathLike) -> None:
    """Write `fig` atomically; the format follows the file suffix (png, pdf, svg)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=os.path.splitext(path)[1].lstrip(".") or "png", dpi=130)
