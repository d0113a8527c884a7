"""The analysis job: files in, an :class:`~logswarm.report.AnalysisReport` out.

This is the seed's Model 1 data path — Data Ingestion → Preprocessing → Anomaly Detection →
incidents — as one streaming pass plus a small batch step over window summaries:

1. stream records from :func:`logswarm.ingest.read_logs` (bad lines go to the dead-letter sink);
2. mine each message's template (:class:`logswarm.parsing.TemplateMiner`);
3. fold records into per-stream time windows with bounded evidence
   (:class:`~logswarm.pipeline.windows.WindowAccumulator`);
4. score windows with Isolation Forest, One-Class SVM and LOF and keep the windows a
   consensus of them flags (:mod:`logswarm.detect`); with ``AnalysisConfig(deep=True)`` (torch
   installed) DeepLog, a next-key LSTM over each window's template ids in arrival order, joins
   them as a fourth voter: it sees order, which window counts cannot;
5. group flagged windows into incidents carrying their evidence
   (:mod:`logswarm.pipeline.grouping`);
6. when ground truth exists, compute the Model 1 metrics of this layer.

No record is kept after step 3, so memory is bounded by the number of windows, not lines (the
deep path keeps at most ``deep_max_keys`` template ids per window).
Everything here is pure analysis: no cluster, no cloud, no network.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from logswarm import __version__
from logswarm.detect import IsolationForestDetector, LocalOutlierFactorDetector, OneClassSVMDetector
from logswarm.detect.severity import severity_rule
from logswarm.features import extract_entities
from logswarm.incidents import Incident
from logswarm.ingest import DeadLetterSink, IngestStats, read_logs
from logswarm.parsing import TemplateMiner
from logswarm.pipeline.evaluate import score_against_ground_truth
from logswarm.pipeline.grouping import FlaggedWindow, GroupingConfig, group_incidents
from logswarm.pipeline.window_features import window_feature_matrix
from logswarm.pipeline.windows import WindowAccumulator, WindowStats
from logswarm.report.model import (
    AnalysisReport,
    GroundTruthIncident,
    InputSummary,
    ScorePoint,
    TemplateSummary,
)

__all__ = ["AnalysisConfig", "analyze"]

ProgressCallback = Callable[[IngestStats], None]


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """Settings of one analysis run; the defaults are the built-in demo's and everyone's."""

    #: Window length. A minute is the usual alerting resolution and keeps per-window counts
    #: large enough for the volume features to mean something.
    window_seconds: float = 60.0
    #: Share of windows each detector may flag. The run has no separate training data, so
    #: each detector is calibrated on the run's own windows at this contamination level.
    target_fpr: float = 0.03
    #: How many of the three detectors must agree before a window counts (consensus cuts
    #: the false positives any single detector makes).
    min_agree: int = 2
    #: A window one detector flags extends an adjacent flagged window of its stream when
    #: they are at most this many windows apart (see ``_with_hysteresis``).
    continue_gap: int = 2
    random_state: int = 0
    #: Detectors are fitted on at most this many windows (sampled), then score all of them.
    max_fit_windows: int = 20_000
    grouping: GroupingConfig = field(default_factory=GroupingConfig)
    dedupe: bool = True
    #: How often (in lines) the progress callback is called.
    progress_every: int = 20_000
    #: Add DeepLog (:class:`logswarm.detect.deep.DeepLogDetector`) as a fourth detector over
    #: each window's template ids in arrival order. Needs torch (the ``deep`` extra); off by
    #: default because training it costs seconds to minutes per run. Its score joins the
    #: others in every incident's evidence (``Incident.scores``, ``detectors_agreed``).
    deep: bool = False
    #: Template ids kept per window for DeepLog (the first ones): bounds its memory.
    deep_max_keys: int = 128
    #: DeepLog is trained on at most this many windows (sampled), then scores all of them.
    deep_max_fit_windows: int = 2_000
    deep_epochs: int = 10


def analyze(
    paths: Sequence[str | Path],
    *,
    dead_letters: DeadLetterSink,
    fmt: str | None = None,
    log_format: str | None = None,
    labels: set[tuple[str, int]] | None = None,
    ground_truth: Sequence[GroundTruthIncident] | None = None,
    config: AnalysisConfig | None = None,
    progress: ProgressCallback | None = None,
    dead_letter_path: str | None = None,
) -> AnalysisReport:
    """Analyse log files end to end and return the report (nothing is written here).

    ``labels`` are ground-truth anomalous records as ``(resolved file path, position)`` (see
    :meth:`LogRecord.position`); with them
    (and/or ``ground_truth`` incidents) the report carries the Model 1 metrics.
    """
    cfg = config or AnalysisConfig()
    started = time.perf_counter()
    stats = IngestStats()
    miner = TemplateMiner()
    acc = WindowAccumulator(window_seconds=cfg.window_seconds, entity_extractor=extract_entities)
    resolved: dict[str, str] = {}
    template_counts: Counter[int] = Counter()
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    # Deep path only: each window's first template ids in arrival order, by window identity.
    key_sequences: dict[int, list[int]] | None = {} if cfg.deep else None

    for record in read_logs(
        paths,
        fmt=fmt,
        log_format=log_format,
        dead_letters=dead_letters,
        stats=stats,
        dedupe=cfg.dedupe,
    ):
        match = miner.learn(record.message)
        record.template_id = match.template_id
        template_counts[match.template_id] += 1
        anomalous = False
        if labels is not None:
            key = resolved.get(record.file)
            if key is None:
                key = resolved[record.file] = str(Path(record.file).resolve())
            anomalous = (key, record.position()) in labels
        elif record.label is not None:
            anomalous = record.label
        window = acc.add(record, anomalous=anomalous)
        if key_sequences is not None:
            seq = key_sequences.setdefault(id(window), [])
            if len(seq) < cfg.deep_max_keys:
                seq.append(match.template_id)
        ts = record.timestamp
        if ts is not None:
            first_ts = ts if first_ts is None or ts < first_ts else first_ts
            last_ts = ts if last_ts is None or ts > last_ts else last_ts
        if progress is not None and stats.records % cfg.progress_every == 0:
            progress(stats)
    if progress is not None:
        progress(stats)

    windows = acc.ordered()
    sequences = None if key_sequences is None else [key_sequences.get(id(w), []) for w in windows]
    flagged, series, votes = _detect(windows, cfg, sequences)
    flagged_keys = {f.window.key for f in flagged}
    baseline: dict[str, Counter[int]] = defaultdict(Counter)
    baseline_windows: Counter[str] = Counter()
    for w in windows:
        if w.key not in flagged_keys:
            baseline[w.stream].update(w.templates)
            baseline_windows[w.stream] += 1
    incidents: list[Incident] = group_incidents(
        flagged,
        baseline=baseline,
        baseline_windows=baseline_windows,
        template_text=miner.templates,
        severity_of=severity_rule,
        config=cfg.grouping,
    )
    has_labels = labels is not None or any(w.labelled_anomalous for w in windows)
    metrics = score_against_ground_truth(
        windows,
        flagged_keys,
        incidents,
        ground_truth=ground_truth,
        has_line_labels=has_labels,
        detectors=votes.detectors,
        votes=votes.per_window,
    )
    elapsed = time.perf_counter() - started
    return AnalysisReport(
        logswarm_version=__version__,
        generated_at=datetime.now(tz=UTC),
        duration_seconds=round(elapsed, 3),
        lines_per_second=round(stats.lines_read / elapsed, 1) if elapsed > 0 else 0.0,
        inputs=InputSummary(
            paths=[str(p) for p in paths],
            format=fmt or "auto",
            lines_read=stats.lines_read,
            records=stats.records,
            duplicates_dropped=stats.duplicates_dropped,
            dead_letters=stats.dead_letters,
            dead_letter_path=dead_letter_path if stats.dead_letters else None,
            by_source=dict(sorted(stats.by_source.items())),
            first_timestamp=first_ts,
            last_timestamp=last_ts,
        ),
        templates=[
            TemplateSummary(template_id=tid, template=miner.templates.get(tid, ""), count=count)
            for tid, count in template_counts.most_common(50)
        ],
        incidents=incidents,
        score_series=series,
        metrics=metrics,
        ground_truth=list(ground_truth) if ground_truth is not None else None,
        notes=_notes(stats, windows),
    )


@dataclass(frozen=True)
class _Votes:
    """Which detectors ran, and per window the ones whose score passed their threshold."""

    detectors: tuple[str, ...] = ()
    per_window: list[list[str]] = field(default_factory=list)


def _detect(
    windows: list[WindowStats],
    cfg: AnalysisConfig,
    sequences: list[list[int]] | None = None,
) -> tuple[list[FlaggedWindow], list[ScorePoint], _Votes]:
    """Score every window with the three classical detectors; keep what a consensus flags.

    With ``sequences`` (each window's template ids), DeepLog scores them as a fourth detector.
    """
    if len(windows) < 10:
        # Too few windows to learn what normal looks like: flag nothing rather than guess.
        points = [ScorePoint(t=w.start, score=0.0, flagged=False) for w in windows]
        return [], points, _Votes()
    X = window_feature_matrix(windows)
    rng = np.random.default_rng(cfg.random_state)
    fit_rows = (
        X
        if len(X) <= cfg.max_fit_windows
        else X[rng.choice(len(X), cfg.max_fit_windows, replace=False)]
    )
    detectors = {
        "isolation_forest": IsolationForestDetector(
            target_fpr=cfg.target_fpr, random_state=cfg.random_state
        ),
        "one_class_svm": OneClassSVMDetector(target_fpr=cfg.target_fpr),
        "lof": LocalOutlierFactorDetector(target_fpr=cfg.target_fpr),
    }
    scores: dict[str, np.ndarray] = {}
    for name, det in detectors.items():
        det.fit(fit_rows)
        scores[name] = det.anomaly_score(X)
    if sequences is not None:
        scores["deeplog"] = _deeplog_scores(sequences, cfg, rng)
    per_window = [{name: float(s[i]) for name, s in scores.items()} for i in range(len(windows))]
    agreed = [sorted(name for name, v in per.items() if v > 1.0) for per in per_window]
    fused = [float(np.mean(list(per.values()))) for per in per_window]
    is_flagged = _with_hysteresis(windows, agreed, cfg)
    flagged = [
        FlaggedWindow(window=w, score=fused[i], detector_scores=per_window[i], agreed=agreed[i])
        for i, w in enumerate(windows)
        if is_flagged[i]
    ]
    series: list[ScorePoint] = []
    per_time: dict[datetime, tuple[float, bool, bool]] = {}
    for i, w in enumerate(windows):
        prev = per_time.get(w.start, (0.0, False, False))
        per_time[w.start] = (
            max(prev[0], fused[i]),
            prev[1] or is_flagged[i],
            prev[2] or w.labelled_anomalous > 0,
        )
    any_labels = any(w.labelled_anomalous for w in windows)
    for t in sorted(per_time):
        score, fl, lab = per_time[t]
        series.append(
            ScorePoint(t=t, score=round(score, 4), flagged=fl, label=lab if any_labels else None)
        )
    return flagged, series, _Votes(detectors=tuple(scores), per_window=agreed)


def _deeplog_scores(
    sequences: list[list[int]], cfg: AnalysisConfig, rng: np.random.Generator
) -> np.ndarray:
    """DeepLog's anomaly score of each window, trained on the run's own windows.

    Like the classical detectors, it has no separate training data: it learns from (a sample
    of) this run's windows and calibrates at ``target_fpr`` on the ones it kept aside.
    """
    # Imported here: torch is optional, and only this path needs it (a clear error names the
    # extra when it is missing).
    from logswarm.detect.deep import DeepLogDetector

    fit_idx = (
        np.arange(len(sequences))
        if len(sequences) <= cfg.deep_max_fit_windows
        else np.sort(rng.choice(len(sequences), cfg.deep_max_fit_windows, replace=False))
    )
    det = DeepLogDetector(
        target_fpr=cfg.target_fpr,
        epochs=cfg.deep_epochs,
        max_length=cfg.deep_max_keys,
        random_state=cfg.random_state,
    )
    det.fit([sequences[i] for i in fit_idx])
    return det.anomaly_score(sequences)


def _with_hysteresis(
    windows: list[WindowStats], agreed: list[list[str]], cfg: AnalysisConfig
) -> list[bool]:
    """Consensus opens an incident; one detector is enough to extend it.

    A window is flagged when ``min_agree`` detectors agree. A window of the same stream right
    next to a flagged one (within ``continue_gap`` windows) is flagged too when at least one
    detector flags it: an incident rarely stays above every threshold for its whole length,
    and an SRE wants its full extent, not only its peaks. This is the two-threshold scheme of
    alerting systems; it never opens an incident on one detector's word.
    """
    flagged = [len(a) >= cfg.min_agree for a in agreed]
    by_stream: dict[str, list[int]] = defaultdict(list)
    for i, w in enumerate(windows):
        by_stream[w.stream].append(i)
    reach = cfg.continue_gap * cfg.window_seconds
    for idx in by_stream.values():
        idx.sort(key=lambda i: windows[i].start)
        changed = True
        while changed:
            changed = False
            for pos, i in enumerate(idx):
                if flagged[i] or not agreed[i]:
                    continue
                for nb in (pos - 1, pos + 1):
                    if 0 <= nb < len(idx) and flagged[idx[nb]]:
                        gap = abs((windows[idx[nb]].start - windows[i].start).total_seconds())
                        if gap <= reach:
                            flagged[i] = changed = True
                            break
    return flagged


def _notes(stats: IngestStats, windows: list[WindowStats]) -> list[str]:
    notes: list[str] = []
    if stats.dead_letters:
        notes.append(
            f"{stats.dead_letters} malformed line(s) were kept in the dead-letter file, not analysed."
        )
    if stats.records and all(w.first_ts is None for w in windows):
        notes.append("No record carried a usable timestamp: every stream fell into one window.")
    return notes
