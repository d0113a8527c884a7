"""The result type every tool returns: a value or an error, as data.

Agents call tools instead of guessing. A tool that fails (Prometheus down, object not found,
bad query) must not abort the topology: it returns ``ToolResult(ok=False, error=...)`` so an
LLM can read the error and try something else, and the trajectory shows what went wrong.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["ToolResult"]

T = TypeVar("T")


class ToolResult(BaseModel, Generic[T]):
    """``value`` when ``ok``; otherwise ``error`` (a sentence) and ``error_type`` (a class name)."""

    model_config = ConfigDict(extra="forbid")

    tool: str
    ok: bool
    value: T | None = None
    error: str | None = None
    error_type: str | None = None

    @classmethod
    def success(cls, tool: str, value: T) -> ToolResult[T]:
        return cls(tool=tool, ok=True, value=value)

    @classmethod
    def failure(cls, tool: str, error: BaseException | str) -> ToolResult[T]:
        if isinstance(error, BaseException):
            return cls(tool=tool, ok=False, error=str(error), error_type=type(error).__name__)
        return cls(tool=tool, ok=False, error=error, error_type="ToolError")
