"""kopf is configured under our API group, and a pool's safety settings reach the policy."""

from __future__ import annotations

import kopf

from logswarm.api.v1alpha1 import AgentPoolSpec
from logswarm.operator.remediation import policy_for
from logswarm.operator.settings import OperatorConfig, apply_kopf_settings
from logswarm.remediation import Risk, SafetyPolicy


def test_kopf_keeps_its_bookkeeping_under_logswarm_io() -> None:
    settings = kopf.OperatorSettings()
    apply_kopf_settings(settings)
    assert settings.persistence.finalizer == "logswarm.io/finalizer"
    progress = settings.persistence.progress_storage
    diffbase = settings.persistence.diffbase_storage
    assert isinstance(progress, kopf.AnnotationsProgressStorage)
    assert isinstance(diffbase, kopf.AnnotationsDiffBaseStorage)
    assert progress.prefix == diffbase.prefix == "operator.logswarm.io"
    assert settings.posting.enabled is True


def test_operator_config_from_environment() -> None:
    config = OperatorConfig.from_environ(
        {"LOGSWARM_AGENT_IMAGE": "img:2", "LOGSWARM_VERIFY_GRACE_SECONDS": "7"}
    )
    assert config.agent_image == "img:2"
    assert config.verify_grace_seconds == 7.0
    assert OperatorConfig.from_environ({}) == OperatorConfig()
    assert OperatorConfig().metrics_port == 0  # served only when asked (the chart asks)


def test_metrics_approval_timeout_and_aws_target_from_environment() -> None:
    config = OperatorConfig.from_environ(
        {
            "LOGSWARM_METRICS_PORT": "9090",
            "LOGSWARM_APPROVAL_TIMEOUT_SECONDS": "600",
            "AWS_REGION": "eu-west-1",
            "LOGSWARM_AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        }
    )
    assert config.metrics_port == 9090
    assert config.approval_timeout_seconds == 600.0
    assert config.aws_region == "eu-west-1"
    assert config.aws_endpoint_url == "http://127.0.0.1:5000"
    # The chart sets both region variables; LogSwarm's own wins.
    both = OperatorConfig.from_environ({"LOGSWARM_REGION": "us-east-1", "AWS_REGION": "x"})
    assert both.aws_region == "us-east-1"


def test_pool_safety_settings_become_the_policy() -> None:
    pool = AgentPoolSpec.model_validate(
        {
            "topology": "linear",
            "allowedApprovers": ["alice@example.com", "*@sre.example.com"],
            "safetyPolicy": {
                "protectedNamespaces": ["payments"],
                "environmentLabels": {"tier": ["prod"]},
                "treatUnlabelledAsProduction": False,
                "autoAllowOther": "High",
            },
        }
    )
    policy = policy_for(pool)
    assert policy.approvers == ["alice@example.com", "*@sre.example.com"]
    assert {"kube-system", "payments"} <= set(policy.protected_namespaces)
    assert policy.production_labels == {"tier": ["prod"]}
    assert policy.treat_unlabelled_as_production is False
    assert policy.auto_allow_other is Risk.HIGH
    assert policy.auto_allow_production == SafetyPolicy().auto_allow_production
