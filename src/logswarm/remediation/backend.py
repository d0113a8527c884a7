"""The seam between the executor and the world: one backend per provider.

The executor is written against this protocol only, so it never imports kubernetes or boto3;
:mod:`logswarm.remediation.kube` and :mod:`logswarm.remediation.aws` implement it. Each method
has one job, which keeps the write-ahead contract easy to audit:

- ``assess``   read-only facts for the safety policy (blast radius, labels, protection);
- ``dry_run``  ask the server whether the change would be accepted, changing nothing;
- ``apply``    read the pre-image, hand it to ``record_intent`` *before* writing, then write;
  retried on optimistic-concurrency conflicts, each retry recording its fresh pre-image;
- ``verify``   the world matches the receipt's post-image;
- ``rollback`` restore a pre-image (idempotent: restoring twice is restoring once);
- ``verify_rollback`` the world matches the pre-image again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pydantic import JsonValue

from logswarm.remediation.plan import Receipt
from logswarm.remediation.safety import TargetFacts
from logswarm.remediation.vocabulary import ActionSpec, Provider

__all__ = ["ActionBackend", "IntentRecorder"]

#: Called by ``apply`` with the pre-image it is about to overwrite, before it writes.
IntentRecorder = Callable[[dict[str, JsonValue]], None]


class ActionBackend(Protocol):
    provider: Provider

    def assess(self, action: ActionSpec) -> TargetFacts: ...

    def dry_run(self, action: ActionSpec) -> list[str]: ...

    def apply(
        self,
        action: ActionSpec,
        *,
        plan_id: str,
        step_id: str,
        record_intent: IntentRecorder,
    ) -> Receipt: ...

    def verify(self, receipt: Receipt) -> list[str]: ...

    def rollback(self, action: ActionSpec, pre_image: dict[str, JsonValue]) -> None: ...

    def verify_rollback(self, action: ActionSpec, pre_image: dict[str, JsonValue]) -> list[str]: ...
