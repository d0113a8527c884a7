"""crdgen: the committed CRDs equal what the models generate, and they are structural."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from logswarm.api import crdgen
from logswarm.api.crdgen import CRD_SPECS, SchemaError, check_structural, render_all

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("directory", ["crds", "charts/logswarm/files/crds"])
def test_committed_crds_equal_the_generated_ones(directory: str) -> None:
    generated = render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / directory).glob("*.yaml")}
    assert committed == generated, "run `python -m logswarm.api.crdgen`"


def test_check_mode_reports_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert crdgen.main(["--check", "--out", str(tmp_path)]) == 1
    assert crdgen.main(["--out", str(tmp_path)]) == 0
    assert crdgen.main(["--check", "--out", str(tmp_path)]) == 0
    stale = tmp_path / "logswarm.io_incidents.yaml"
    stale.write_text(stale.read_text().replace("Critical", "Catastrophic"))
    assert crdgen.main(["--check", "--out", str(tmp_path)]) == 1
    assert "logswarm.io_incidents.yaml" in capsys.readouterr().err


def _walk(schema: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [schema]
    for sub in schema.get("properties", {}).values():
        nodes += _walk(sub)
    if "items" in schema:
        nodes += _walk(schema["items"])
    return nodes


@pytest.mark.parametrize("spec", CRD_SPECS, ids=lambda s: s.kind)
def test_generated_schema_is_structural(spec: crdgen.CrdSpec) -> None:
    crd = crdgen.render(spec)
    (version,) = crd["spec"]["versions"]
    root = version["schema"]["openAPIV3Schema"]
    check_structural(root)
    assert version["subresources"] == {"status": {}}
    assert crd["spec"]["names"]["categories"] == ["logswarm"]
    preserved = [n for n in _walk(root) if n.get("x-kubernetes-preserve-unknown-fields")]
    # Only the receipts' pre- and post-images are free-form.
    assert len(preserved) == (2 if spec.kind == "Remediation" else 0)


def test_check_structural_rejects_what_the_api_server_would() -> None:
    with pytest.raises(SchemaError, match="anyOf"):
        check_structural({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}})
    with pytest.raises(SchemaError, match="no type"):
        check_structural({"type": "object", "properties": {"a": {"description": "x"}}})


def test_conditions_are_a_list_map_keyed_by_type() -> None:
    for spec in CRD_SPECS:
        status = crdgen.structural_schema(spec.status)
        conditions = status["properties"]["conditions"]
        assert conditions["x-kubernetes-list-type"] == "map"
        assert conditions["x-kubernetes-list-map-keys"] == ["type"]
        condition = conditions["items"]
        assert set(condition["required"]) == {"type", "status", "reason", "lastTransitionTime"}
        assert condition["properties"]["status"]["enum"] == ["True", "False", "Unknown"]


def test_action_union_becomes_one_object_with_rules_per_kind() -> None:
    spec = crdgen.structural_schema(crdgen.CRD_SPECS[2].spec)
    action = spec["properties"]["steps"]["items"]["properties"]["action"]
    assert action["required"] == ["kind"]
    assert "k8s.workload.scale" in action["properties"]["kind"]["enum"]
    rules = [r["rule"] for r in action["x-kubernetes-validations"]]
    # "namespace" is a CEL keyword: the API server names it __namespace__ in rules.
    assert any("has(self.__namespace__)" in rule for rule in rules)
    # Defaults of one variant must not leak onto the others.
    assert all("default" not in node for node in _walk(action))


def test_exclusive_minimum_is_openapi_v3_style() -> None:
    spec = crdgen.structural_schema(crdgen.CRD_SPECS[0].spec)
    threshold = spec["properties"]["detectors"]["items"]["properties"]["threshold"]
    assert threshold["minimum"] == 0
    assert threshold["exclusiveMinimum"] is True


def test_generated_files_are_valid_yaml_crds() -> None:
    for name, text in render_all().items():
        crd = yaml.safe_load(text)
        assert crd["kind"] == "CustomResourceDefinition"
        assert name == f"logswarm.io_{crd['spec']['names']['plural']}.yaml"
