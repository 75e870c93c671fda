"""``python -m podscale.conformance FILE...``: one line per failing vector, then
``N passed, M failed``; exits non-zero on any failure."""

from __future__ import annotations

import sys

from . import Report, run_file


def main(argv: list) -> int:
    if not argv:
        print("usage: python -m podscale.conformance FILE...", file=sys.stderr)
        return 2
    report = Report()
    for path in argv:
        report.merge(run_file(path))
    sys.stdout.write(report.render())
    return 0 if not report.failures and report.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
