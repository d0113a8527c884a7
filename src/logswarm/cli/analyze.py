"""``logswarm analyze``: the main job — logs in, scored incidents and reports out.

With no paths it analyses the built-in demo (a seeded multi-source environment with injected
incidents and their ground truth), so the command works on a fresh machine with no cluster,
cloud or API key, and scores itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from logswarm.ingest import FORMATS, IngestStats, JsonlDeadLetterWriter
from logswarm.pipeline.analyze import AnalysisConfig, analyze
from logswarm.report.model import AnalysisReport, GroundTruthIncident
from logswarm.report.render import render_html, render_markdown, render_summary

__all__ = ["add_parser", "run"]

DEFAULT_DEMO_DIR = Path("logswarm-demo")
_PROGRESS_MIN_BYTES = 8 * 1024 * 1024


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="analyse log files (or the built-in demo) into incidents with evidence",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths", nargs="*", type=Path, help="files or directories (.gz ok); none = built-in demo"
    )
    p.add_argument("--format", dest="fmt", choices=FORMATS, help="override format auto-detection")
    p.add_argument(
        "--log-format",
        help="Loghub-style line format, e.g. '<Date> <Time> <Level> <Component>: <Content>'",
    )
    p.add_argument(
        "--out",
        action="append",
        type=Path,
        help="report file(s): .json, .md or .html (repeatable; default: report.json, report.md and "
        "report.html in the demo folder, or logswarm-report.json)",
    )
    p.add_argument(
        "--dead-letter",
        type=Path,
        help="where malformed lines go (default: beside the first report)",
    )
    p.add_argument(
        "--labels",
        type=Path,
        help="labels.jsonl of anomalous lines ({file, line}) to score against",
    )
    p.add_argument(
        "--ground-truth", type=Path, help="ground_truth.json of incidents to score against"
    )
    p.add_argument(
        "--window",
        type=float,
        default=AnalysisConfig().window_seconds,
        help="window length in seconds",
    )
    p.add_argument(
        "--demo-dir",
        type=Path,
        default=DEFAULT_DEMO_DIR,
        help="where the built-in demo is generated",
    )
    p.add_argument("--seed", type=int, default=7, help="seed of the built-in demo")
    p.add_argument(
        "--no-dedupe", action="store_true", help="keep lines re-delivered by another input"
    )
    p.add_argument(
        "--deep",
        action="store_true",
        help="add DeepLog (needs the 'deep' extra: torch) as a fourth window detector",
    )
    p.add_argument(
        "--topology",
        choices=("linear", "rag", "smart", "auction", "federated", "debate"),
        help="also run this agent topology on every incident (offline deterministic reasoner by default)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def run(args: argparse.Namespace) -> int:
    paths: list[Path] = list(args.paths)
    labels_path: Path | None = args.labels
    labels_base: Path | None = None
    truth_path: Path | None = args.ground_truth
    outs: list[Path] | None = args.out
    if not paths:
        from logswarm.scenarios import generate_demo

        bundle = generate_demo(args.demo_dir, seed=args.seed)
        paths = [bundle.logs_dir]
        if labels_path is None:
            labels_path, labels_base = bundle.labels_path, bundle.logs_dir
        truth_path = truth_path or bundle.ground_truth_path
        if outs is None:
            outs = [args.demo_dir / f"report.{ext}" for ext in ("json", "md", "html")]
        if not args.quiet:
            print(
                f"Built-in demo: {bundle.total_lines:,} lines in {len(bundle.files)} files under {bundle.logs_dir}/ "
                f"(seed {args.seed}, {len(bundle.ground_truth)} injected incidents)",
                file=sys.stderr,
            )
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(
            f"logswarm analyze: no such file or directory: {', '.join(map(str, missing))}",
            file=sys.stderr,
        )
        return 2
    outs = outs or [Path("logswarm-report.json")]
    for out in outs:
        if out.suffix not in {".json", ".md", ".html"}:
            print(
                f"logswarm analyze: --out {out}: use a .json, .md or .html file name",
                file=sys.stderr,
            )
            return 2
    dead_letter_path: Path = args.dead_letter or outs[0].with_name(
        outs[0].stem + ".dead-letters.jsonl"
    )
    labels = _load_labels(labels_path, base=labels_base) if labels_path else None
    truth = _load_truth(truth_path) if truth_path else None

    config = AnalysisConfig(window_seconds=args.window, dedupe=not args.no_dedupe, deep=args.deep)
    with (
        JsonlDeadLetterWriter(dead_letter_path) as dead_letters,
        _Progress(enabled=not args.quiet, paths=paths) as progress,
    ):
        report = analyze(
            paths,
            fmt=args.fmt,
            log_format=args.log_format,
            dead_letters=dead_letters,
            labels=labels,
            ground_truth=truth,
            config=config,
            progress=progress.update,
            dead_letter_path=str(dead_letter_path),
        )
    if args.topology:
        report = _with_agents(report, args.topology)
    for out in outs:
        _write(report, out)
    if not args.quiet:
        print(render_summary(report))
        if report.analyses:
            print(_root_cause_lines(report))
        print("Reports: " + ", ".join(str(o) for o in outs))
    return 0


def _with_agents(report: AnalysisReport, topology: str) -> AnalysisReport:
    """Run the agent topology on every incident and attach the analyses to the report."""
    from logswarm.agents import run_topology

    analyses = run_topology(topology, report.incidents)
    return report.model_copy(
        update={"topology": topology, "analyses": [a.model_dump(mode="json") for a in analyses]}
    )


def _root_cause_lines(report: AnalysisReport) -> str:
    lines = [f"Root causes ({report.topology} topology):"]
    for a in report.analyses:
        cause = a.get("root_cause") or {}
        plan = ", ".join(step.get("action", "?") for step in a.get("plan", [])) or "no plan"
        what = cause.get("category", "unknown")
        who = cause.get("entity_value") or "-"
        lines.append(
            f"  {a['incident_id']}: {what} in {who} (confidence {a.get('confidence', 0):.2f}); "
            f"plan: {plan}{' [escalated]' if a.get('escalate') else ''}"
        )
    return "\n".join(lines)


def _write(report: AnalysisReport, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".json":
        out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    elif out.suffix == ".md":
        out.write_text(render_markdown(report), encoding="utf-8")
    else:
        out.write_text(render_html(report), encoding="utf-8")


def _load_labels(path: Path, *, base: Path | None = None) -> set[tuple[str, int]]:
    """``labels.jsonl`` rows ``{"file": ..., "line": ...}``.

    Relative file names are relative to ``base`` (the demo's ``logs/`` folder), else to the
    labels file's own folder. ``line`` is the record's position (see ``LogRecord.position``).
    """
    base = (base or path.parent).resolve()
    labels: set[tuple[str, int]] = set()
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                labels.add((str((base / row["file"]).resolve()), int(row["line"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(f"logswarm analyze: {path}:{n}: not a label row ({exc})") from exc
    return labels


def _load_truth(path: Path) -> list[GroundTruthIncident]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = data["incidents"] if isinstance(data, dict) else data
    return [GroundTruthIncident.model_validate(row) for row in rows]


class _Progress:
    """A progress bar over bytes read, only for long inputs on an interactive terminal."""

    def __init__(self, *, enabled: bool, paths: list[Path]) -> None:
        total = sum(_size(p) for p in paths)
        self._enabled = enabled and sys.stderr.isatty() and total >= _PROGRESS_MIN_BYTES
        self._bar: Any = None
        self._task: Any = None
        self._total = total

    def __enter__(self) -> _Progress:
        if self._enabled:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self._bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("analysing", total=self._total)
        return self

    def update(self, stats: IngestStats) -> None:
        if self._bar is not None:
            self._bar.update(
                self._task, completed=stats.bytes_read, description=f"{stats.records:,} records"
            )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0
