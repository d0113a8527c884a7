"""Generate the CustomResourceDefinitions in ``crds/`` from the pydantic models.

Why it exists: a CRD schema written by hand drifts from the code that reads the resource. Here
the models in :mod:`logswarm.api.v1alpha1` are the single source; this module turns their JSON
Schema into the *structural* OpenAPI v3 subset the API server demands:

- every ``$ref`` is inlined (CRD schemas cannot reference);
- ``Optional[X]`` (``anyOf [X, null]``) becomes plain ``X``, not required: a status writer
  deletes a field with a JSON merge-patch ``null`` instead of storing one;
- a discriminated union (the remediation vocabulary's ``kind``, a check's ``type``) becomes one
  object holding every variant's properties, plus generated CEL rules saying which fields each
  variant requires and which it must not carry — structural schemas allow no ``oneOf`` with
  differing shapes, and the executor re-validates with the strict models anyway;
- ``x-kubernetes-preserve-unknown-fields`` only where the model says "any JSON" (receipts'
  pre-images);
- JSON Schema 2020 ``exclusiveMinimum: N`` becomes OpenAPI 3.0 ``minimum: N`` +
  ``exclusiveMinimum: true``; titles and ``additionalProperties: false`` are dropped (the server
  prunes unknown fields).

``python -m logswarm.api.crdgen`` writes ``crds/`` and the Helm chart's copy;
``--check`` exits 1 when a committed file differs (CI's drift check).
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from logswarm.api import v1alpha1 as v1

__all__ = [
    "CRD_SPECS",
    "CrdSpec",
    "SchemaError",
    "check_structural",
    "crd_file_name",
    "main",
    "render",
    "render_all",
    "structural_schema",
]

Schema = dict[str, Any]

#: CEL reserved words: a property with such a name is ``self.__name__`` in a rule.
_CEL_RESERVED = frozenset(
    [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)
_ANY: Schema = {"x-kubernetes-preserve-unknown-fields": True}
_DROP = frozenset({"title", "discriminator", "additionalProperties"})


class SchemaError(ValueError):
    """A model uses a shape that has no structural OpenAPI equivalent."""


@dataclass(frozen=True, slots=True)
class CrdSpec:
    kind: str
    resource: type[v1.AgentPool] | type[v1.Incident] | type[v1.Remediation]
    spec: type[BaseModel]
    status: type[BaseModel]
    columns: tuple[Schema, ...]

    @property
    def plural(self) -> str:
        return self.resource.plural


def _column(name: str, type_: str, path: str, **extra: Any) -> Schema:
    return {"name": name, "type": type_, "jsonPath": path, **extra}


def _condition(type_: str) -> str:
    return f'.status.conditions[?(@.type=="{type_}")].status'


_AGE = _column("Age", "date", ".metadata.creationTimestamp")

CRD_SPECS: tuple[CrdSpec, ...] = (
    CrdSpec(
        kind="AgentPool",
        resource=v1.AgentPool,
        spec=v1.AgentPoolSpec,
        status=v1.AgentPoolStatus,
        columns=(
            _column("Topology", "string", ".spec.topology"),
            _column("Region", "string", ".spec.region"),
            _column("Ready", "string", _condition("Ready")),
            _column("Roles", "string", ".status.readyRoles", priority=1),
            _AGE,
        ),
    ),
    CrdSpec(
        kind="Incident",
        resource=v1.Incident,
        spec=v1.IncidentSpec,
        status=v1.IncidentStatus,
        columns=(
            _column("Severity", "string", ".spec.severity"),
            _column("Pool", "string", ".spec.poolRef.name"),
            _column("Phase", "string", ".status.phase", priority=1),
            _column("RootCause", "string", ".status.rootCause.cause"),
            _column("Confidence", "number", ".status.rootCause.confidence"),
            _AGE,
        ),
    ),
    CrdSpec(
        kind="Remediation",
        resource=v1.Remediation,
        spec=v1.RemediationSpec,
        status=v1.RemediationStatus,
        columns=(
            _column("Incident", "string", ".spec.incidentRef.name"),
            _column("Phase", "string", ".status.phase"),
            _column("Approved", "string", _condition("Approved")),
            _column("Risk", "string", ".spec.risk"),
            _column("DryRun", "boolean", ".spec.dryRun", priority=1),
            _AGE,
        ),
    ),
)


def _cel_field(name: str) -> str:
    if name in _CEL_RESERVED:
        return f"__{name}__"
    return (
        name.replace("__", "__underscores__")
        .replace(".", "__dot__")
        .replace("-", "__dash__")
        .replace("/", "__slash__")
    )


class _Converter:
    def __init__(self, defs: dict[str, Schema]) -> None:
        self.defs = defs

    def convert(self, node: Schema, *, keep_defaults: bool = True) -> Schema:
        node = dict(node)
        siblings = {k: node.pop(k) for k in ("description", "default") if k in node}
        if "$ref" in node:
            name = node.pop("$ref").rsplit("/", 1)[-1]
            out = self.convert({**self.defs[name], **node}, keep_defaults=keep_defaults)
        elif "anyOf" in node:
            variants = [v for v in node.pop("anyOf") if v.get("type") != "null"]
            if len(variants) != 1:
                raise SchemaError(f"untagged union of {len(variants)} types has no CRD form")
            out = self.convert({**variants[0], **node}, keep_defaults=keep_defaults)
        elif "oneOf" in node:
            out = self._merge_union(node)
        else:
            out = self._plain(node, keep_defaults=keep_defaults)
        if "description" in siblings:
            out["description"] = siblings["description"]
        default = siblings.get("default")
        if keep_defaults and default is not None and "default" in siblings:
            out["default"] = default
        elif not keep_defaults:
            out.pop("default", None)
        return out

    def _plain(self, node: Schema, *, keep_defaults: bool) -> Schema:
        out: Schema = {}
        if "const" in node:
            out["enum"] = [node.pop("const")]
        for key, value in node.items():
            if key in _DROP:
                continue
            if key == "properties":
                out[key] = {
                    name: self.convert(sub, keep_defaults=keep_defaults)
                    for name, sub in value.items()
                }
            elif key == "items":
                out[key] = self.convert(value, keep_defaults=keep_defaults)
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
                out[key] = True
            elif key == "default" and (not keep_defaults or value is None):
                continue
            else:
                out[key] = copy.deepcopy(value)
        extra = node.get("additionalProperties")
        values = self.convert(extra, keep_defaults=keep_defaults) if isinstance(extra, dict) else {}
        if values and values != _ANY:
            out["additionalProperties"] = values
        elif extra is True or isinstance(extra, dict):
            out["x-kubernetes-preserve-unknown-fields"] = True
        if not out.get("type") and not out.get("x-kubernetes-preserve-unknown-fields"):
            if "enum" in out and all(isinstance(v, str) for v in out["enum"]):
                out["type"] = "string"
            elif not any(k in out for k in ("properties", "items", "enum")):
                # "Any JSON value": the one place unknown fields are preserved.
                out["x-kubernetes-preserve-unknown-fields"] = True
            else:
                raise SchemaError(f"schema without a type: {sorted(out)}")
        return out

    def _merge_union(self, node: Schema) -> Schema:
        discriminator = node.get("discriminator", {}).get("propertyName")
        if not discriminator:
            raise SchemaError("only discriminated unions have a CRD form")
        properties: dict[str, Schema] = {}
        values: list[str] = []
        rules: list[Schema] = []
        tag = _cel_field(discriminator)
        for variant in node["oneOf"]:
            schema = self.convert(variant, keep_defaults=False)
            value = schema["properties"][discriminator]["enum"][0]
            values.append(value)
            own = [k for k in schema["properties"] if k != discriminator]
            for name in own:
                sub = schema["properties"][name]
                if name not in properties:
                    properties[name] = sub
                elif properties[name] != sub:
                    properties[name] = _loosen(properties[name], sub, name)
            required = [k for k in schema.get("required", []) if k != discriminator]
            if required:
                checks = " && ".join(f"has(self.{_cel_field(k)})" for k in required)
                rules.append(
                    {
                        "rule": f"self.{tag} != '{value}' || ({checks})",
                        "message": f"{discriminator} {value} requires {', '.join(required)}",
                    }
                )
            rules.append({"value": value, "own": own})
        # The "must not carry" rules need every property name first.
        final_rules: list[Schema] = []
        for rule in rules:
            if "value" not in rule:
                final_rules.append(rule)
                continue
            foreign = [k for k in properties if k not in rule["own"]]
            if foreign:
                checks = " || ".join(f"has(self.{_cel_field(k)})" for k in foreign)
                final_rules.append(
                    {
                        "rule": f"self.{tag} != '{rule['value']}' || !({checks})",
                        "message": (
                            f"{discriminator} {rule['value']} takes only "
                            f"{', '.join(rule['own']) or 'no other fields'}"
                        ),
                    }
                )
        return {
            "type": "object",
            "required": [discriminator],
            "properties": {
                discriminator: {"type": "string", "enum": values},
                **dict(sorted(properties.items())),
            },
            "x-kubernetes-validations": final_rules,
        }


def _loosen(a: Schema, b: Schema, name: str) -> Schema:
    """One schema for a property two union variants type differently: the looser of both."""
    if a.get("type") != b.get("type"):
        raise SchemaError(f"union variants disagree on the type of {name!r}")
    if "enum" in a and "enum" in b:
        return {"type": a["type"], "enum": list(dict.fromkeys([*a["enum"], *b["enum"]]))}
    return {"type": a["type"]}


def structural_schema(model: type[BaseModel]) -> Schema:
    """The structural OpenAPI v3 schema of a pydantic model (camelCase, as on the wire)."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    defs = schema.pop("$defs", {})
    return _Converter(defs).convert(schema)


def check_structural(schema: Schema, path: str = "") -> None:
    """Raise :class:`SchemaError` where ``schema`` breaks a rule of structural schemas."""
    for forbidden in ("$ref", "anyOf", "oneOf", "allOf", "not", "$defs", "title"):
        if forbidden in schema:
            raise SchemaError(f"{path or '<root>'}: {forbidden} is not allowed here")
    if "type" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        raise SchemaError(f"{path or '<root>'}: no type")
    if "properties" in schema and "additionalProperties" in schema:
        raise SchemaError(f"{path}: properties and additionalProperties are exclusive")
    for name, sub in schema.get("properties", {}).items():
        check_structural(sub, f"{path}.{name}")
    if "items" in schema:
        check_structural(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        check_structural(schema["additionalProperties"], f"{path}{{}}")


def render(spec: CrdSpec) -> Schema:
    """The CustomResourceDefinition of one kind, as a mapping."""
    plural = spec.plural
    root: Schema = {
        "type": "object",
        "description": (spec.resource.__doc__ or spec.kind).strip().splitlines()[0],
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": structural_schema(spec.spec),
            "status": structural_schema(spec.status),
        },
    }
    check_structural(root)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{v1.GROUP}",
            "labels": {"app.kubernetes.io/part-of": "logswarm"},
        },
        "spec": {
            "group": v1.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": spec.kind,
                "listKind": f"{spec.kind}List",
                "plural": plural,
                "singular": spec.kind.lower(),
                "shortNames": list(spec.resource.short_names),
                "categories": ["logswarm"],
            },
            "versions": [
                {
                    "name": v1.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": list(spec.columns),
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def crd_file_name(spec: CrdSpec) -> str:
    return f"{v1.GROUP}_{spec.plural}.yaml"


_HEADER = (
    "# Generated by `python -m logswarm.api.crdgen` from logswarm.api.v1alpha1. Do not edit.\n"
)


def render_all() -> dict[str, str]:
    """File name -> YAML text of every CRD."""
    return {
        crd_file_name(spec): _HEADER
        + yaml.safe_dump(render(spec), sort_keys=False, width=100, allow_unicode=True)
        for spec in CRD_SPECS
    }


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def default_outputs() -> list[Path]:
    """``crds/`` and the Helm chart's copy (Helm cannot read files outside its chart)."""
    root = _repo_root()
    return [root / "crds", root / "charts" / "logswarm" / "files" / "crds"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logswarm.api.crdgen", description=__doc__)
    parser.add_argument("--out", type=Path, action="append", help="directory to write (repeatable)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a file differs instead of writing"
    )
    args = parser.parse_args(argv)
    outputs: list[Path] = args.out or default_outputs()
    files = render_all()
    stale: list[Path] = []
    for directory in outputs:
        for name, text in files.items():
            path = directory / name
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(path)
                continue
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"out of date: {path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
