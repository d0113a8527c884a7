"""Incidents from outside: Alertmanager's webhook, pushed logs, streamed pod logs.

The operator's intake turns what other systems send into Incident objects:

- :mod:`.alertmanager` — webhook payload models; one Incident per alert fingerprint;
- :mod:`.push` — Fluent Bit / Vector JSON bodies as log records (malformed ones as dead letters);
- :mod:`.podlogs` — periodic, de-duplicated reads of an AgentPool's pods' logs;
- :mod:`.stream` — windowed streaming detection with the analysis library's parts;
- :mod:`.manifests` / :mod:`.sink` — Incident objects, created once and annotated on repeats;
- :mod:`.server` — the aiohttp server and the bounded hub between all of these;
- :mod:`.hooks` — the kopf start-up/clean-up hooks and pod-log daemons (imported by
  ``python -m logswarm.operator``).

Importing this package registers nothing and starts nothing. Everything that arrives here is
untrusted: it becomes an Incident's evidence, never an action.
"""
