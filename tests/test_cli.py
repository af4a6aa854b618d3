"""The command line: every family is reachable, fast to start, and bad input is a clear error."""

import subprocess
import sys

from lmlab.cli import FAMILIES, build_parser


def test_every_family_is_listed_and_stages_dispatch_to_handlers():
    parser = build_parser()
    help_text = parser.format_help()
    for family in FAMILIES:
        assert family in help_text
    args = parser.parse_args(["--gpus", "1", "data", "inspect", "x.tsv", "--task", "RTE"])
    assert (args.gpus, args.path, args.task, callable(args.func)) == (1, "x.tsv", "RTE", True)


def test_help_does_not_import_torch():
    code = (
        "import sys; from lmlab.cli import build_parser; build_parser(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_input_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.tsv"
    proc = subprocess.run(
        [sys.executable, "-m", "lmlab", "data", "inspect", str(missing)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert str(missing) in proc.stderr
