"""LogSwarm: a swarm of agents that turns raw cloud logs into verified, reversible fixes.

The package is one import namespace with clear rooms:

- ``logswarm.ingest``    read and normalise logs from any source (the Data Ingestion agent)
- ``logswarm.parsing``   mine templates from messages (the Preprocessing agent)
- ``logswarm.features``  windows, event-count matrices and entities
- ``logswarm.detect``    anomaly detectors behind scikit-learn's estimator contract
- ``logswarm.incidents`` anomalies grouped into incidents that carry their evidence
- ``logswarm.pipeline``  the analysis job that chains the rooms above
- ``logswarm.report``    JSON / Markdown / HTML reports
- ``logswarm.scenarios`` seeded generators of multi-source logs with ground truth
- ``logswarm.evaluation`` the seed's metrics (precision, recall, latency, ...)
- ``logswarm.cli``       the ``logswarm`` command

The analysis rooms never import kubernetes, kopf, boto3 or litellm (an import-linter
contract in ``pyproject.toml`` holds them to it); side effects live elsewhere.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
