"""Executes notebooks headless (nbclient, matplotlib's Agg backend) and fails on any cell
error: ``python run_notebook.py NOTEBOOK...``. Outputs are not written back."""

from __future__ import annotations

import os
import pathlib
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path: pathlib.Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    # Cells run beside the notebook, so relative paths (the CSV) resolve as when opened.
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    print(f"{path}: {sum(c.cell_type == 'code' for c in notebook.cells)} cells ran")


def main(paths: list) -> int:
    os.environ["MPLBACKEND"] = "Agg"
    if not paths:
        print("usage: run_notebook.py NOTEBOOK...", file=sys.stderr)
        return 2
    for p in paths:
        try:
            run(pathlib.Path(p).resolve())
        except CellExecutionError as e:
            print(f"{p}: a cell failed:\n{e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
