"""Prompt templates: Jinja2 files, one per role, rendered from the role's input contract.

Prompts are data, reviewed like code but kept out of it (``resources/prompts/*.j2``), so that a
prompt change is a readable diff and an operator can mount its own folder. Rendering is
strict: an undefined variable is an error, not an empty string silently sent to a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from logswarm.agents.catalogue import resources_root
from logswarm.agents.contracts import ACTION_TARGET_KINDS
from logswarm.agents.errors import ResourceError

__all__ = ["PromptLibrary"]


class PromptLibrary:
    """Renders ``system.j2``, ``<role>.j2`` and ``repair.j2`` from a folder of templates."""

    def __init__(self, directory: Path | None = None) -> None:
        loader: jinja2.BaseLoader
        if directory is not None:
            loader = jinja2.FileSystemLoader(str(directory))
        else:
            loader = jinja2.PackageLoader("logswarm.agents", "resources/prompts")
        # Escaping would corrupt log lines quoted in prompts.
        self._env = jinja2.Environment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,  # noqa: S701 - prompts are text for a model, not HTML
        )

    @classmethod
    def packaged(cls) -> PromptLibrary:
        _ = resources_root()
        return cls()

    def render(self, name: str, **context: Any) -> str:
        try:
            return self._env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as e:
            raise ResourceError(f"prompt template {name!r} not found") from e
        except jinja2.UndefinedError as e:
            raise ResourceError(f"prompt template {name!r}: {e}") from e

    def system(self, *, role: str, output_model: type[BaseModel]) -> str:
        return self.render(
            "system.j2",
            role_title=role.replace("_", " ").title(),
            actions=sorted(ACTION_TARGET_KINDS),
            schema_json=json.dumps(output_model.model_json_schema(), separators=(",", ":")),
        )

    def user(self, *, role: str, payload: BaseModel, **extra: Any) -> str:
        fields = {name: getattr(payload, name) for name in type(payload).model_fields}
        return self.render(f"{role}.j2", **fields, **extra)

    def repair(self, *, error: str) -> str:
        return self.render("repair.j2", error=error)
