"""``logswarm bench``: score the agent topologies on the scenario suite, and read review sheets.

``logswarm bench topologies`` generates seeded scenario bundles covering every kind of the
scenario catalogue (each kind once per seed, a few kinds per bundle), runs the detection
pipeline on each, runs the ``linear``, ``rag`` and ``smart`` topologies on every incident it
reports — with the offline deterministic reasoner or any litellm model — and writes the
seed's metrics per topology (:mod:`logswarm.evaluation.topologies`) as Markdown, HTML with
plots and JSON, plus one review sheet per incident and topology for a person to score.

``logswarm bench reviews`` reads filled review sheets and prints the means per topology
(:mod:`logswarm.evaluation.review`); pass the same folder to ``bench topologies --reviews`` to
put them in the scorecard.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logswarm.agents import BackendConfig
    from logswarm.evaluation.topologies import BundleRun

__all__ = ["add_parser", "run"]

_TOPOLOGIES = ("linear", "rag", "smart")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench",
        help="benchmarks: score the agent topologies on the scenario suite; aggregate reviews",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="bench_command", metavar="BENCH", required=True)

    t = sub.add_parser(
        "topologies",
        help="run Models 1-3 on the scenario suite and write the scorecard (MD, HTML, JSON)",
    )
    t.add_argument("--out", type=Path, required=True, help="output folder")
    t.add_argument("--seeds", type=int, default=3, help="seeds per scenario kind (default 3)")
    t.add_argument("--seed-base", type=int, default=1, help="first seed (default 1)")
    t.add_argument(
        "--kinds",
        help="comma-separated scenario kinds (default: every kind of the scenario catalogue)",
    )
    t.add_argument(
        "--per-bundle",
        type=int,
        default=6,
        help="scenario kinds injected into one generated bundle (default 6)",
    )
    t.add_argument(
        "--topologies",
        default=",".join(_TOPOLOGIES),
        help="comma-separated topologies (default linear,rag,smart)",
    )
    t.add_argument("--backend", choices=("offline", "litellm"), default="offline")
    t.add_argument("--model", help="litellm model name, e.g. gpt-4o-mini or openai/qwen (litellm)")
    t.add_argument("--api-base", help="OpenAI-compatible base URL (litellm; local servers)")
    t.add_argument(
        "--api-key-env",
        help="name of the environment variable holding the API key (read when the command runs; "
        "with --api-base and no key, a placeholder key is sent, as local servers expect)",
    )
    t.add_argument("--timeout", type=float, default=120.0, help="seconds per model request")
    t.add_argument("--max-tokens", type=int, default=1024, help="completion tokens per request")
    t.add_argument(
        "--max-repairs",
        type=int,
        default=2,
        help="re-asks with the validation error before a role call fails (default 2)",
    )
    t.add_argument(
        "--response-format",
        choices=("json_object_schema", "json_schema", "json_object", "none"),
        default="json_object_schema",
        help="how the output schema reaches the provider (see ModelConfig)",
    )
    t.add_argument(
        "--no-fallback",
        action="store_true",
        help="do not answer with the deterministic reasoner when a model call fails",
    )
    t.add_argument(
        "--deep",
        action="store_true",
        help="add DeepLog to the detection pipeline (needs the deep extra): it then joins the "
        "detectors' vote, and its own window verdicts give the sequence anomaly accuracy",
    )
    t.add_argument("--reviews", type=Path, help="folder of filled review sheets to include")
    t.add_argument(
        "--keep-bundles", action="store_true", help="keep the generated bundles under OUT/bundles"
    )
    t.add_argument("-q", "--quiet", action="store_true", help="no progress lines")

    r = sub.add_parser("reviews", help="aggregate filled review sheets: means per topology")
    r.add_argument("paths", nargs="+", type=Path, help="sheets or folders of sheets")
    r.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    if args.bench_command == "reviews":
        return _run_reviews(args)
    return _run_topologies(args)


# -- bench reviews -----------------------------------------------------------------------------


def _run_reviews(args: argparse.Namespace) -> int:
    from logswarm.evaluation.review import aggregate_reviews

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(
            f"logswarm bench reviews: no such path: {', '.join(map(str, missing))}", file=sys.stderr
        )
        return 2
    agg = aggregate_reviews(args.paths)
    if args.json:
        print(agg.model_dump_json(indent=2))
    else:
        print(f"{agg.sheets} sheets read")
        print(f"{'topology':<10} {'sheets':>6} {'satisfaction':>18} {'audit':>18}")
        for topo, m in agg.by_topology.items():
            sat = (
                f"{m.satisfaction_mean:.2f} (n={m.satisfaction_n})" if m.satisfaction_mean else "-"
            )
            aud = f"{m.audit_mean:.2f} (n={m.audit_n})" if m.audit_mean else "-"
            print(f"{topo:<10} {m.sheets:>6} {sat:>18} {aud:>18}")
        for err in agg.errors:
            print(f"error: {err}", file=sys.stderr)
    return 1 if agg.errors else 0


# -- bench topologies --------------------------------------------------------------------------


def _backend(args: argparse.Namespace) -> BackendConfig:
    from pydantic import SecretStr

    from logswarm.agents import BackendConfig, ModelConfig

    if args.backend == "offline":
        return BackendConfig()
    if not args.model:
        raise SystemExit("logswarm bench topologies: --backend litellm needs --model")
    key: SecretStr | None = None
    if args.api_key_env:
        value = os.environ.get(args.api_key_env)
        if value is None:
            raise SystemExit(
                f"logswarm bench topologies: environment variable {args.api_key_env} is not set"
            )
        key = SecretStr(value)
    elif args.api_base:
        key = SecretStr("sk-local")  # local OpenAI-compatible servers want a key, any key
    return BackendConfig(
        kind="litellm",
        default_model=ModelConfig(
            model=args.model,
            api_base=args.api_base,
            api_key=key,
            timeout_s=args.timeout,
            max_tokens=args.max_tokens,
            max_repairs=args.max_repairs,
            response_format=args.response_format,
        ),
        fallback_to_deterministic=not args.no_fallback,
    )


def _command(args: argparse.Namespace, kinds_given: bool) -> str:
    """The command line that reproduces this run (the API key's value is never part of it)."""
    parts = ["logswarm", "bench", "topologies", "--out", str(args.out), "--seeds", str(args.seeds)]
    if args.seed_base != 1:
        parts += ["--seed-base", str(args.seed_base)]
    if kinds_given:
        parts += ["--kinds", args.kinds]
    if args.per_bundle != 6:
        parts += ["--per-bundle", str(args.per_bundle)]
    if args.topologies != ",".join(_TOPOLOGIES):
        parts += ["--topologies", args.topologies]
    parts += ["--backend", args.backend]
    if args.backend == "litellm":
        parts += ["--model", args.model]
        if args.api_base:
            parts += ["--api-base", args.api_base]
        if args.api_key_env:
            parts += ["--api-key-env", args.api_key_env]
        if args.max_repairs != 2:
            parts += ["--max-repairs", str(args.max_repairs)]
    if args.deep:
        parts += ["--deep"]
    if args.reviews:
        parts += ["--reviews", str(args.reviews)]
    return shlex.join(parts)


def plan_bundles(
    kinds: Sequence[str], *, seeds: Sequence[int], per_bundle: int
) -> list[tuple[int, int, list[str]]]:
    """(seed, bundle index, kinds): every kind once per seed, shuffled by the seed, chunked."""
    out: list[tuple[int, int, list[str]]] = []
    for seed in seeds:
        order = list(kinds)
        random.Random(f"logswarm-bench:{seed}").shuffle(order)
        for j in range(0, len(order), per_bundle):
            out.append((seed, j // per_bundle, order[j : j + per_bundle]))
    return out


def _labels(path: Path, base: Path) -> set[tuple[str, int]]:
    base = base.resolve()
    labels: set[tuple[str, int]] = set()
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                row = json.loads(raw)
                labels.add((str((base / row["file"]).resolve()), int(row["line"])))
    return labels


def _run_topologies(args: argparse.Namespace) -> int:
    from logswarm.agents import RecordStore, run_topology
    from logswarm.evaluation.review import aggregate_reviews, write_review_sheets
    from logswarm.evaluation.topologies import (
        BundleRun,
        render_scorecard_html,
        render_scorecard_markdown,
        score_topologies,
    )
    from logswarm.ingest import JsonlDeadLetterWriter, read_logs
    from logswarm.pipeline.analyze import AnalysisConfig, analyze
    from logswarm.pipeline.evaluate import match_ground_truth
    from logswarm.scenarios import CATALOGUE, generate
    from logswarm.scenarios.topology import build_topology

    started = time.perf_counter()
    catalogue = sorted(CATALOGUE)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else catalogue
    unknown = [k for k in kinds if k not in CATALOGUE]
    topologies = [t.strip() for t in args.topologies.split(",") if t.strip()]
    bad_topologies = [t for t in topologies if t not in _TOPOLOGIES]
    if unknown or bad_topologies or not kinds or not topologies:
        print(
            "logswarm bench topologies: "
            + (f"unknown kinds {unknown} (known: {', '.join(catalogue)}); " if unknown else "")
            + (f"unknown topologies {bad_topologies}; " if bad_topologies else "")
            + ("nothing to run" if not kinds or not topologies else ""),
            file=sys.stderr,
        )
        return 2
    if args.seeds < 1 or args.per_bundle < 1:
        print("logswarm bench topologies: --seeds and --per-bundle must be >= 1", file=sys.stderr)
        return 2
    if args.reviews is not None and not args.reviews.is_dir():
        print(f"logswarm bench topologies: --reviews {args.reviews}: not a folder", file=sys.stderr)
        return 2
    backend = _backend(args)
    seeds = list(range(args.seed_base, args.seed_base + args.seeds))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    bundles_dir = out / "bundles"
    reviews_dir = out / "reviews"
    shutil.rmtree(reviews_dir, ignore_errors=True)
    plan = plan_bundles(kinds, seeds=seeds, per_bundle=args.per_bundle)
    runs: list[BundleRun] = []
    analyses_path = out / "analyses.jsonl"
    with analyses_path.open("w", encoding="utf-8") as analyses_file:
        for n, (seed, index, chunk) in enumerate(plan, start=1):
            name = f"s{seed}-b{index}"
            bundle_seed = seed * 1000 + index
            bundle = generate(
                chunk,
                out_dir=bundles_dir / name,
                seed=bundle_seed,
                duration=timedelta(minutes=max(40, 20 * len(chunk))),
            )
            labels = _labels(bundle.labels_path, bundle.logs_dir)
            with JsonlDeadLetterWriter(bundle.root / "dead-letters.jsonl") as dead:
                report = analyze(
                    [bundle.logs_dir],
                    config=AnalysisConfig(deep=args.deep),
                    dead_letters=dead,
                    labels=labels,
                    ground_truth=bundle.ground_truth,
                )
                store = RecordStore(read_logs([bundle.logs_dir], dead_letters=dead))
            world = build_topology(bundle_seed)
            deps = {d.name: list(d.calls) for d in world.deployments.values()}
            per_topology = {
                topo: run_topology(
                    topo, report.incidents, records=store, backend=backend, dependencies=deps
                )
                for topo in topologies
            }
            truth_of = {
                inc.id: next(
                    (g for g in bundle.ground_truth if match_ground_truth(g, [inc]) is not None),
                    None,
                )
                for inc in report.incidents
            }
            by_id = {i.id: i for i in report.incidents}
            for topo, analyses in per_topology.items():
                write_review_sheets(
                    reviews_dir,
                    topology=topo,
                    bundle=name,
                    items=[(by_id[a.incident_id], a, truth_of[a.incident_id]) for a in analyses],
                )
                for a in analyses:
                    analyses_file.write(
                        json.dumps({"bundle": name, **a.model_dump(mode="json")}) + "\n"
                    )
            runs.append(
                BundleRun(
                    bundle=name,
                    seed=bundle_seed,
                    incidents=report.incidents,
                    ground_truth=bundle.ground_truth,
                    detection=report.metrics,
                    analyses=per_topology,
                )
            )
            if not args.quiet:
                print(
                    f"[{n}/{len(plan)}] {name}: {bundle.total_lines:,} lines, "
                    f"{len(bundle.ground_truth)} injected, {len(report.incidents)} reported "
                    f"({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                )
            if not args.keep_bundles:
                shutil.rmtree(bundle.root, ignore_errors=True)
    if not args.keep_bundles:
        shutil.rmtree(bundles_dir, ignore_errors=True)
    reviews = aggregate_reviews([args.reviews]).by_topology if args.reviews else None
    card = score_topologies(
        runs,
        topologies=topologies,
        backend=backend.label,
        seeds=seeds,
        reviews=reviews,
        generated_at=datetime.now(tz=UTC),
        command=_command(args, kinds_given=bool(args.kinds)),
    )
    card.duration_seconds = round(time.perf_counter() - started, 1)
    (out / "scorecard.json").write_text(card.model_dump_json(indent=2), encoding="utf-8")
    (out / "scorecard.md").write_text(render_scorecard_markdown(card), encoding="utf-8")
    (out / "scorecard.html").write_text(render_scorecard_html(card), encoding="utf-8")
    if not args.quiet:
        print(render_scorecard_markdown(card).split("\n## ")[0])
        print(
            f"Scorecard: {out / 'scorecard.md'}, {out / 'scorecard.html'}; review sheets: {reviews_dir}/"
        )
    return 0
