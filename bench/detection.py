"""Detection benchmark: every detector, the consensus and the trivial baseline, side by side.

Run: ``nice .venv/bin/python bench/detection.py [--datasets PATH] [--out docs/benchmarks/detection.md]``.

Protocols (thresholds always come from training scores, never from test labels):

- HDFS LogRobust split: fit on the normal sessions of ``robust_log_train.csv``, score
  ``robust_log_valid.csv`` (1,000 normal + 1,000 anomalous).
- hdfs_100k_sessions: fit on the normal sessions of the ``train`` split, score ``test``.
- BGL_2k, line level, unsupervised: no label is read before scoring. Lines 1-1000 are the
  calibration part (alerts included, as a real stream would be), lines 1001-2000 are scored.

The "FPR @ equal recall" column is analysis, not a threshold: the false-positive rate a
detector's continuous score would need to reach the headline consensus's recall on the test
set. It is the one place test labels are read before the metrics, and it chooses nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from logswarm.datasets import SessionSet, dataset_root, load_hdfs_100k, load_robustlog_split
from logswarm.detect import (
    BaseDetector,
    ConsensusDetector,
    InvariantsMiner,
    IsolationForestDetector,
    LocalOutlierFactorDetector,
    OneClassSVMDetector,
    PCADetector,
    TemplateRarityScorer,
    UnseenVectorDetector,
)
from logswarm.evaluation.detection import detection_metrics, flagged, fpr_at_recall
from logswarm.features import EventCountVectorizer
from logswarm.records import Severity

TARGET_FPR = 0.01
LOGLIZER_FULL_HDFS = [("Isolation Forest", 0.802), ("PCA", 0.769), ("Invariants Mining", 0.915)]
HDFS100K_CEILING = 0.711
HEADLINE = "Consensus 2-of-3 vote (unseen, invariants, PCA)"
BGL_FLAG_RATES = (0.05, 0.10)


def _classical() -> list[tuple[str, BaseDetector]]:
    return [
        ("iforest", IsolationForestDetector(target_fpr=TARGET_FPR, random_state=0)),
        ("ocsvm", OneClassSVMDetector(target_fpr=TARGET_FPR)),
        ("lof", LocalOutlierFactorDetector(target_fpr=TARGET_FPR)),
    ]


def _memory() -> list[tuple[str, BaseDetector]]:
    return [
        ("unseen", UnseenVectorDetector()),
        ("invariants", InvariantsMiner(target_fpr=TARGET_FPR)),
        ("pca", PCADetector(target_fpr=TARGET_FPR)),
    ]


Factory = Callable[[], BaseDetector]


def detectors() -> list[tuple[str, Factory, str]]:
    """(name, factory, representation) for every session row of the table."""
    return [
        ("Isolation Forest", lambda: _classical()[0][1], "counts"),
        (
            "One-Class SVM (in-sample calibration)",
            lambda: OneClassSVMDetector(target_fpr=TARGET_FPR, calibration="in_sample"),
            "counts",
        ),
        ("One-Class SVM (out-of-fold calibration)", lambda: _classical()[1][1], "counts"),
        ("LOF (in-sample calibration)", lambda: _classical()[2][1], "counts"),
        (
            "LOF (out-of-fold calibration)",
            lambda: LocalOutlierFactorDetector(target_fpr=TARGET_FPR, calibration="out_of_fold"),
            "counts",
        ),
        (
            "PCA, tf-idf (in-sample calibration)",
            lambda: PCADetector(target_fpr=TARGET_FPR, calibration="in_sample"),
            "tfidf",
        ),
        (
            "PCA, tf-idf (out-of-fold calibration)",
            lambda: PCADetector(target_fpr=TARGET_FPR),
            "tfidf",
        ),
        (
            "PCA, counts (out-of-fold calibration)",
            lambda: PCADetector(target_fpr=TARGET_FPR),
            "counts",
        ),
        ("Invariants Mining", lambda: InvariantsMiner(target_fpr=TARGET_FPR), "counts"),
        ("Unseen-vector baseline", UnseenVectorDetector, "counts"),
        (
            "Consensus 2-of-3 vote (IF, OCSVM, LOF)",
            lambda: ConsensusDetector(_classical(), rule="vote", min_votes=2),
            "counts",
        ),
        (
            "Consensus mean (unseen, invariants, PCA)",
            lambda: ConsensusDetector(_memory(), rule="mean", target_fpr=TARGET_FPR),
            "counts",
        ),
        (HEADLINE, lambda: ConsensusDetector(_memory(), rule="vote", min_votes=2), "counts"),
        (
            "Consensus 2-of-2 vote (unseen, invariants)",
            lambda: ConsensusDetector(_memory()[:2], rule="vote", min_votes=2),
            "counts",
        ),
    ]


@dataclass
class Row:
    dataset: str
    detector: str
    precision: float | None
    recall: float | None
    f1: float
    fpr: float | None
    fp: int | None = None
    fpr_equal_recall: float | None = None
    fit_s: float | None = None
    score_s: float | None = None


def _representations(train: list[list[int]], test: list[list[int]]) -> dict[str, Any]:
    counts = EventCountVectorizer().fit(train)
    tfidf = EventCountVectorizer(term_weighting="tf-idf", normalization="zero-mean").fit(train)
    return {
        "counts": (counts.transform(train), counts.transform(test)),
        "tfidf": (tfidf.transform(train), tfidf.transform(test)),
    }


def run_sessions(name: str, train: SessionSet, test: SessionSet) -> list[Row]:
    reps = _representations(train.normal().sequences, test.sequences)
    y = np.asarray(test.labels, dtype=bool)
    rows: list[Row] = []
    scores: list[npt.NDArray[np.float64]] = []
    for det_name, factory, rep in detectors():
        Xtr, Xte = reps[rep]
        det = factory()
        t0 = time.perf_counter()
        det.fit(Xtr)
        t1 = time.perf_counter()
        pred = flagged(det.predict(Xte))
        t2 = time.perf_counter()
        # Unclipped (anomaly_score floors at 0, which would tie every normal-looking sample).
        scores.append(-det.score_samples(Xte))
        m = detection_metrics(y, pred)
        rows.append(
            Row(
                name,
                det_name,
                m.precision,
                m.recall,
                m.f1,
                m.false_positive_rate,
                m.fp,
                fit_s=t1 - t0,
                score_s=t2 - t1,
            )
        )
    headline = next(r for r in rows if r.detector == HEADLINE)
    assert headline.recall is not None
    for row, s in zip(rows, scores, strict=True):
        row.fpr_equal_recall = fpr_at_recall(y, s, recall=headline.recall)
    return rows


def run_bgl(root: Path) -> list[Row]:
    labels_path = root / "bgl_thunderbird_2k_line_labels" / "BGL_2k.line_labels.csv"
    raw_path = root / "loghub_2k_corrected" / "BGL" / "BGL_2k.log_structured_corrected.csv"
    with labels_path.open(encoding="utf-8", newline="") as fh:
        lab = list(csv.DictReader(fh))
    with raw_path.open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    templates: list[Hashable] = [r["EventId"] for r in raw]
    sev = [float(Severity.parse(r["Level"], Severity.INFO) or Severity.INFO) for r in raw]
    half = len(templates) // 2
    preds: list[tuple[str, npt.NDArray[np.bool_]]] = [
        ("Rule: level FATAL or worse (no learning)", np.asarray(sev[half:]) >= Severity.CRITICAL)
    ]
    seen: set[Hashable] = set(templates[:half])
    novel = []
    for t in templates[half:]:
        novel.append(t not in seen)
        seen.add(t)
    preds.append(("Template never read before (novelty only)", np.asarray(novel)))
    for rate in BGL_FLAG_RATES:
        scorer = TemplateRarityScorer(flag_rate=rate).fit(templates[:half], sev[:half])
        preds.append(
            (
                f"Severity + prequential template rarity, flag rate {rate:.0%}",
                np.asarray(scorer.predict(templates[half:], sev[half:])),
            )
        )
    # Labels are read only now, after every verdict above is fixed.
    y = np.asarray([r["IsAnomaly"].strip() in ("1", "True") for r in lab])[half:]
    rows = []
    for det_name, pred in preds:
        m = detection_metrics(y, pred, unit="line")
        rows.append(
            Row(
                "BGL_2k (lines)", det_name, m.precision, m.recall, m.f1, m.false_positive_rate, m.fp
            )
        )
    return rows


def _f(v: float | None, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def render(rows: list[Row], *, command: str, seconds: float) -> str:
    out = [
        "# Detection benchmark",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (run "
        f"under `nice`), Python {platform.python_version()}; whole run {seconds:.1f} s",
        f"- Thresholds: session detectors are calibrated at a {TARGET_FPR:.0%} target "
        "false-positive rate on their *training normals* (out of fold where marked); the BGL "
        "line scorer at a flag rate on the unlabelled calibration half. No test label chooses "
        "anything.",
        "",
        "| Dataset | Detector | Precision | Recall | F1 | FPR | FP | FPR @ equal recall "
        "| fit s | score s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    last = None
    for r in rows:
        if last == "HDFS LogRobust" and r.dataset != last:
            out += _published()
        if last == "hdfs_100k" and r.dataset != last:
            out.append(
                f"| hdfs_100k | sequence-only ceiling (26 of 57 anomalies look normal) | — | — "
                f"| {HDFS100K_CEILING:.3f} | — | — | — | — | — |"
            )
        last = r.dataset
        name = f"**{r.detector}**" if r.detector == HEADLINE else r.detector
        out.append(
            f"| {r.dataset} | {name} | {_f(r.precision, '.3f')} | {_f(r.recall, '.3f')} "
            f"| {r.f1:.3f} | {_f(r.fpr, '.4f')} | {_f(r.fp, 'd')} "
            f"| {_f(r.fpr_equal_recall, '.4f')} | {_f(r.fit_s, '.2f')} | {_f(r.score_s, '.2f')} |"
        )
    out += ["", PROTOCOL_NOTES]
    return "\n".join(out) + "\n"


def _published() -> list[str]:
    return [
        f"| full HDFS, 575k sessions (loglizer, published; not re-run) | {m} | — | — | {f1:.3f} "
        "| — | — | — | — | — |"
        for m, f1 in LOGLIZER_FULL_HDFS
    ]


PROTOCOL_NOTES = """## What the table says

- **Invariants Mining** (`logswarm.detect.InvariantsMiner`, Lou et al. ATC'10) is the best
  single detector on both HDFS splits: on LogRobust recall 1.000 with 4 false alarms in 1,000
  normals (FPR 0.4 %), against the memorisation baseline's 11 (1.1 %) at the same recall; on
  hdfs_100k it reaches the best figure any row reaches (0.690, ceiling 0.711). Its F1 is above
  loglizer's published 0.915, but on a different (smaller, easier) split: not comparable.
- **Consensus.** The headline 2-of-3 vote (unseen, invariants, PCA) keeps recall 1.000 on
  LogRobust and 0.526 on hdfs_100k and raises 6 false alarms on LogRobust: half the
  baseline's 11 (PCA would need an FPR of 4.7 % to match that recall), but more than
  Invariants Mining alone (4). The 2-of-2
  vote (unseen and invariants) raises 2 at recall 1.000 on LogRobust but loses 2 anomalies on
  hdfs_100k. Neither vote needs a threshold of its own. The score-mean rule does not help.
- **Out-of-fold calibration** fixes the optimism it was built for (One-Class SVM on
  continuous data, see below) but makes One-Class SVM useless on HDFS's few, heavily repeated
  count vectors; PCA and LOF hardly move.
- **BGL_2k lines.** Severity plus prequential rarity lifts F1 from the level rule's 0.534 to
  0.667 with a 10 % flag rate, and drops it to 0.444 with 5 %: the assumed share of lines
  worth a look is the one knob, and the table shows how much it matters.

## Protocols and how to read the table

- **Features.** Sessions become event-count vectors (`EventCountVectorizer`: vocabulary from
  the training normals plus one `<unknown>` column). "PCA, tf-idf" reads tf-idf weighted,
  zero-mean counts, as loglizer feeds it; every consensus member (PCA included) reads raw
  counts, because a consensus passes one matrix to all its members.
- **Thresholds.** Every session detector's `offset_` is the 1 % quantile of its scores on the
  training normals (`target_fpr=0.01`). *Out-of-fold calibration* (the default for One-Class
  SVM, PCA and Invariants Mining; LOF's default in-sample score is already leave-self-out, so
  it stays in-sample unless asked) takes that quantile over cross-fitted scores: each
  training session is scored by a copy of the detector fitted on the other 4 of 5 folds, so
  the threshold is set on sessions the model has not seen, as new data will be. On Gaussian
  data (400 training points, 4,000 new normals, 5 seeds) it brings One-Class SVM's held-out
  FPR from 11.1 % to 0.7 % and PCA's from 1.5 % to 0.9 % at a 1 % target
  (`tests/detect/test_detect_calibration.py` checks the direction). On HDFS it is
  conservative for One-Class SVM: fold models drop rare vectors and score them far below
  anything the final model produces, so the out-of-fold quantile sits very low and recall
  collapses. Both calibrations are shown; the IF/OCSVM/LOF consensus uses each member's
  default (One-Class SVM out of fold). Invariants Mining flags any broken invariant unless more than 1 %
  of held-out training normals break one (then it tolerates that much violation).
- **Consensus.** The headline rule (bold) is a 2-of-3 vote over calibrated verdicts of the
  unseen-vector baseline, Invariants Mining and PCA: a session is flagged when at least two of
  them flag it, each at its own threshold. No extra threshold is fitted. The mean rule
  averages the members' normalised anomaly scores and thresholds the average at its 1 %
  training quantile. *FPR @ equal recall* reads each row's continuous anomaly score at the
  threshold that reaches the headline consensus's test recall: how many false alarms that
  detector would raise to catch as many anomalies. It is analysis with test labels, not a
  threshold anyone uses.
- **HDFS is memorisation.** The 6,000 training normals of the LogRobust split hold only 58
  distinct count vectors; the unseen-vector baseline flags everything else and gets recall 1.0,
  its false alarms are the 11 test normals with a vector never seen in training. Invariants
  Mining reaches the same recall with fewer false alarms because a new-but-consistent vector
  (a longer session that still closes every block it opens) breaks no invariant.
- **hdfs_100k.** 8 distinct training vectors: LOF has no density to estimate and flags
  nothing; 26 of the 57 anomalies are indistinguishable from normal sequences (ceiling 0.711).
- **BGL_2k, line level, unsupervised.** Template ids are the corrected Loghub `EventId`s;
  severity is the record's level. Lines 1-1000 (96 alerts, unlabelled for us) calibrate;
  lines 1001-2000 (47 alerts) are scored. The sample spans months, so 704 of the 1,000 test
  lines carry a template absent from the first half, and per-template counts from the first
  half alone say little: the scorer counts prequentially (each line is scored against every
  line read before it, then counted). A line's score is its severity ordinal plus its
  normalised template surprisal (`logswarm.detect.TemplateRarityScorer`); the threshold is the
  score quantile that flags the stated share of the calibration half (5 % and 10 %, fixed
  before the run; with no labels that share is the one assumption). Every alert in this
  sample is logged at FATAL, so the level rule already has recall 1.0; rarity decides which
  FATAL lines to drop. BGL's published figures use the full 4.7M-line log and are not
  comparable.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--datasets", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here")
    args = parser.parse_args(argv)
    root = dataset_root(args.datasets)
    t0 = time.perf_counter()
    robust = root / "hdfs_deeplog_sessions" / "logdeep_robustlog"
    rows = run_sessions(
        "HDFS LogRobust",
        load_robustlog_split(robust / "robust_log_train.csv"),
        load_robustlog_split(robust / "robust_log_valid.csv"),
    )
    h100k = root / "hdfs_100k_sessions" / "sessions.csv"
    rows += run_sessions(
        "hdfs_100k", load_hdfs_100k(h100k, split="train"), load_hdfs_100k(h100k, split="test")
    )
    rows += run_bgl(root)
    elapsed = time.perf_counter() - t0
    cmd = "nice .venv/bin/python bench/detection.py" + (
        f" --datasets {args.datasets}" if args.datasets else ""
    )
    if args.out is not None:
        cmd += f" --out {args.out}"
    text = render(rows, command=cmd, seconds=elapsed)
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
