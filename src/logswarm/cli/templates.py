"""``logswarm templates``: mine templates from one log file and write one row per line.

Why it exists: it is the parser's open interface to any accuracy checker. Every input line
gets a row (``line``, ``template_id``, ``template``) in input order, so an annotated log can
be scored line by line; a line that does not fit ``--log-format`` still gets its row, with
empty template fields, and is counted on stderr — never silently dropped.

Ids and templates written are the *final* ones, after the whole file was learnt: a template
that generalised later in the file is shown in its final form for its early lines too,
which is what grouping accuracy expects.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from logswarm.ingest import LogFormatError, LoghubFormat
from logswarm.parsing.miner import TemplateMiner, TemplateStateError

__all__ = ["add_parser", "run"]

_NO_TEMPLATE = -1


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register ``templates`` on the ``logswarm`` command."""
    parser = subparsers.add_parser(
        "templates",
        help="mine log templates and write one row per line (line, template_id, template)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("file", type=Path, help="log file (plain text or .gz)")
    parser.add_argument(
        "--log-format",
        default=None,
        help="Loghub format string, e.g. '<Date> <Time> <Level> <Component>: <Content>'; "
        "the <Content> field is mined (default: the whole line)",
    )
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="miner state JSON: loaded first if it exists, saved after the run",
    )


def run(args: argparse.Namespace) -> int:
    """Mine ``args.file`` and write ``args.out``; returns the process exit code."""
    try:
        log_format = LoghubFormat(args.log_format) if args.log_format else None
    except LogFormatError as error:
        print(f"logswarm templates: {error}", file=sys.stderr)
        return 2
    if log_format is not None and "Content" not in log_format.headers:
        print("logswarm templates: --log-format must name a <Content> field", file=sys.stderr)
        return 2
    state: Path | None = args.state
    try:
        miner = (
            TemplateMiner.load(state) if state is not None and state.exists() else TemplateMiner()
        )
    except (OSError, TemplateStateError) as error:
        print(f"logswarm templates: cannot load {state}: {error}", file=sys.stderr)
        return 2

    assigned = array("q")
    unmatched = 0
    try:
        with _open_text(args.file) as handle:
            for line in _lines(handle):
                if log_format is None:
                    content: str | None = line
                else:
                    fields = log_format.parse(line)
                    content = None if fields is None else fields["Content"].strip()
                if content is None:
                    unmatched += 1
                    assigned.append(_NO_TEMPLATE)
                else:
                    assigned.append(miner.learn(content).template_id)
    except OSError as error:
        print(f"logswarm templates: cannot read {args.file}: {error}", file=sys.stderr)
        return 2

    out: Path = args.out
    with out.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(("line", "template_id", "template"))
        texts: dict[int, str] = {}
        for number, template_id in enumerate(assigned, start=1):
            if template_id == _NO_TEMPLATE:
                writer.writerow((number, "", ""))
                continue
            final = miner.canonical_id(template_id)
            text = texts.get(final)
            if text is None:
                text = texts[final] = miner.template(final)
            writer.writerow((number, final, text))
    if state is not None:
        miner.save(state)
    print(
        f"logswarm templates: {len(assigned)} lines, {len(miner)} templates, "
        f"{unmatched} lines did not match the log format",
        file=sys.stderr,
    )
    return 0


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="\n")
    return path.open(encoding="utf-8", errors="replace", newline="\n")


def _lines(handle: TextIO) -> Iterator[str]:
    for line in handle:
        yield line.rstrip("\r\n")
