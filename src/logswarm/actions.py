"""The names of the remediation actions a plan may use: one list for the whole project.

Agents' plans (:mod:`logswarm.agents.contracts`) and scenario ground truth
(:mod:`logswarm.scenarios`) speak these names; the executor's vocabulary maps each to the
action kind it implements in one table, :data:`logswarm.remediation.vocabulary.AGENT_ACTION_KINDS`
(which refuses to import if the two lists disagree), and the operator translates a plan step
through that table. Keeping the list here, beside the incident model and free of any client
library, lets every layer import it without importing the executor.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ACTION_NAMES", "ActionName"]

#: The closed action vocabulary of the executor. Plan steps may only name these.
ActionName = Literal[
    "restart_deployment",
    "scale_deployment",
    "rollback_deployment",
    "delete_pod",
    "cordon_node",
    "isolate_pod",
    "patch_resources",
    "deactivate_access_key",
    "revoke_security_group_ingress",
    "add_nacl_deny",
    "set_asg_capacity",
    "stop_instance",
    "set_lambda_concurrency",
]

#: The same names as a set, for membership checks.
ACTION_NAMES: frozenset[str] = frozenset(get_args(ActionName))
