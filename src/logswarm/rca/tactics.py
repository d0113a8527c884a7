"""Classify a group of CloudTrail events (one attack technique's activity) to a MITRE ATT&CK tactic.

Why rules: there are 35 labelled detonations and no benign counterpart, nothing to learn from;
and a tactic is a statement about *what the API calls do*, which the AWS API vocabulary says
directly. The rules below are generic readings of AWS API verbs and resources through ATT&CK's
tactic definitions (deleting or muting logs is Defense Evasion, reading secrets is Credential
Access, granting a principal new standing access is Persistence, ...). They look only at
evidence in the events — ``eventSource``, ``eventName``, ``errorCode``, request parameter *keys*
and the calling principal's behaviour — never at technique ids, names, role names or user agents
(which in this corpus spell out the technique).

How a group is decided: each event votes for the tactic of the first rule it matches, weighted by
how specific the call is (supporting reads such as ``AssumeRole`` or ``Describe*`` weigh little);
repeated failed calls of one action weigh as an attempt of that action; the tactic with the
largest weight wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["RULES", "TACTICS", "TacticRule", "classify_events", "confusion", "event_votes"]

TACTICS = (
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Defense Evasion",
    "Credential Access",
    "Discovery",
    "Lateral Movement",
    "Exfiltration",
    "Impact",
)


@dataclass(frozen=True, slots=True)
class TacticRule:
    """``eventName`` regex (optionally an ``eventSource`` prefix and a request key) → tactic."""

    tactic: str
    name: str
    source: str = ""
    request_key: str = ""
    weight: float = 1.0

    def matches(self, event: Mapping[str, Any]) -> bool:
        name = str(event.get("eventName") or "")
        if not re.fullmatch(self.name, name):
            return False
        if self.source and not str(event.get("eventSource") or "").startswith(self.source):
            return False
        if self.request_key:
            params = event.get("requestParameters")
            if not isinstance(params, dict) or self.request_key not in params:
                return False
        return True


# Order matters: first match wins. Weight 0.1 = supporting/ambiguous call.
RULES: tuple[TacticRule, ...] = (
    # Defense Evasion: stop, delete or narrow logging; leave the organisation's guardrails.
    TacticRule(
        "Defense Evasion", r"(StopLogging|DeleteTrail|PutEventSelectors|UpdateTrail)", "cloudtrail"
    ),
    TacticRule("Defense Evasion", r"Delete(FlowLogs|ResolverQueryLogConfig|LogGroup|LogStream)"),
    TacticRule("Defense Evasion", r"(LeaveOrganization|DeleteDetector|DisableSecurityHub)"),
    # Initial Access: an interactive sign-in.
    TacticRule("Initial Access", r"ConsoleLogin", "signin"),
    # Lateral Movement: pushing keys to reach another host.
    TacticRule("Lateral Movement", r"Send(Serial)?(Console)?SSHPublicKey"),
    TacticRule("Lateral Movement", r"EnableSerialConsoleAccess", weight=0.5),
    # Execution: running code or commands on compute.
    TacticRule("Execution", r"(SendCommand|StartSession|RunInstances|InvokeFunction)"),
    TacticRule("Execution", r"ModifyInstanceAttribute", request_key="userData"),
    TacticRule("Execution", r"(ModifyInstanceAttribute|StartInstances|StopInstances)", weight=0.5),
    TacticRule("Execution", r"(GetCommandInvocation|TerminateSession)", weight=0.3),
    # Exfiltration: sharing data stores or images outside, opening a path out.
    TacticRule("Exfiltration", r"Modify(Snapshot|Image|DBSnapshot|DBClusterSnapshot)Attribute"),
    TacticRule("Exfiltration", r"AuthorizeSecurityGroup(Ingress|Egress)"),
    TacticRule("Exfiltration", r"PutBucket(Policy|Acl)|PutBucketReplication"),
    # Credential Access: reading secrets, passwords, parameters, instance credentials.
    TacticRule("Credential Access", r"(Get|BatchGet)SecretValue|GetPasswordData|GetParameters?"),
    TacticRule("Credential Access", r"(ListSecrets|DescribeParameters)", weight=0.5),
    # Persistence: new standing access for a principal or a backdoor in code.
    TacticRule(
        "Persistence",
        r"(CreateAccessKey|CreateUser|CreateLoginProfile|CreateRole|UpdateAssumeRolePolicy"
        r"|CreateTrustAnchor|CreateProfile|GetFederationToken|AddPermission.*"
        r"|UpdateFunctionCode.*|UpdateFunctionConfiguration.*|PublishLayerVersion.*)",
    ),
    # Privilege Escalation: widening what an existing principal may do.
    TacticRule(
        "Privilege Escalation",
        r"(UpdateLoginProfile|Attach(User|Role|Group)Policy|Put(User|Role|Group)Policy"
        r"|CreatePolicyVersion|SetDefaultPolicyVersion|AddUserToGroup)",
    ),
    # Impact: consuming paid resources or destroying data.
    TacticRule(
        "Impact",
        r"(InvokeModel.*|PutFoundationModelEntitlement|CreateFoundationModelAgreement"
        r"|PutUseCaseForModelAccess|DeleteBucket|DeleteObjects?|TerminateInstances)",
    ),
    # Discovery: enumeration (weak on its own; strong when it is all the principal does).
    TacticRule("Discovery", r"(Describe|List|Get)[A-Za-z]*", weight=0.1),
)

# Calls every attack makes for itself (identity, role switching): no vote.
SUPPORTING = frozenset({"AssumeRole", "GetCallerIdentity", "GetSessionToken"})


def event_votes(event: Mapping[str, Any]) -> tuple[str, float] | None:
    """(tactic, weight) of one event, or None for supporting calls and unknown actions."""
    name = str(event.get("eventName") or "")
    if name in SUPPORTING:
        return None
    for rule in RULES:
        if rule.matches(event):
            return rule.tactic, rule.weight
    return None


def classify_events(events: Iterable[Mapping[str, Any]]) -> tuple[str | None, dict[str, float]]:
    """The winning tactic of a group of events and the weight each tactic got.

    Principal behaviour: when one action is repeated and mostly denied (an attempt sweep), it is
    what the principal was after, so its votes count in full even for a weak (read) rule: a
    sweep of denied ``DescribeInstanceAttribute`` calls is Discovery, not noise.
    """
    evs = list(events)
    totals: dict[str, float] = {}
    by_name: Counter[str] = Counter(str(e.get("eventName") or "") for e in evs)
    failed: Counter[str] = Counter(str(e.get("eventName") or "") for e in evs if e.get("errorCode"))
    for e in evs:
        vote = event_votes(e)
        if vote is None:
            continue
        tactic, weight = vote
        name = str(e.get("eventName") or "")
        if by_name[name] >= 3 and failed[name] * 2 >= by_name[name]:
            weight = max(weight, 1.0)
        totals[tactic] = totals.get(tactic, 0.0) + weight
    if not totals:
        return None, {}
    best = max(sorted(totals), key=lambda t: totals[t])
    return best, totals


def confusion(pairs: Sequence[tuple[Sequence[str], str | None]]) -> dict[tuple[str, str], int]:
    """(first true tactic, predicted) counts for the misclassified groups."""
    out: Counter[tuple[str, str]] = Counter()
    for truth, pred in pairs:
        if pred not in truth:
            out[(truth[0] if truth else "?", pred or "none")] += 1
    return dict(out)
