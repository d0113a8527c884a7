"""Accuracy of a log parser against annotated templates: grouping accuracy and parsing accuracy.

Why it exists: the parsing benchmark, the golden tests and anyone scoring ``logswarm
templates`` output need one shared definition of the two figures the log-parsing literature
reports (Zhu et al., ICSE-SEIP 2019; Khan et al., ICSE 2022):

- **grouping accuracy (GA)**: a message is parsed correctly iff the set of messages the
  parser put in its group is exactly the set the annotation puts in its group;
- **parsing accuracy (PA)**: a message is parsed correctly iff its predicted template text
  equals its annotated template once both are normalised (runs of ``<*>`` collapsed to one,
  whitespace collapsed), so that ``<*> <*>`` and ``<*>`` for one multi-token variable agree.

Both are plain functions over parallel sequences, one item per message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Sequence

__all__ = ["grouping_accuracy", "normalise_template", "parsing_accuracy"]

_WILDCARD_RUN = re.compile(r"<\*>(?:\s*<\*>)+")
_SPACES = re.compile(r"\s+")


def normalise_template(template: str) -> str:
    """Collapse runs of ``<*>`` (with or without spaces between them) and runs of whitespace."""
    return _SPACES.sub(" ", _WILDCARD_RUN.sub("<*>", template)).strip()


def grouping_accuracy(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Share of messages whose predicted group is exactly their ground-truth group.

    ``truth[i]`` and ``predicted[i]`` are group labels of message ``i`` (event ids, template
    ids or template texts: only equality matters). An empty input scores 1.0.
    """
    _check_lengths(truth, predicted)
    if not truth:
        return 1.0
    truth_groups: dict[Hashable, list[int]] = defaultdict(list)
    predicted_groups: dict[Hashable, list[int]] = defaultdict(list)
    for index, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        truth_groups[t].append(index)
        predicted_groups[p].append(index)
    correct = 0
    for members in predicted_groups.values():
        # A predicted group is right iff all its members share one true label and that
        # true group has no other member.
        label = truth[members[0]]
        if len(truth_groups[label]) == len(members) and all(truth[m] == label for m in members):
            correct += len(members)
    return correct / len(truth)


def parsing_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of messages whose predicted template equals the annotated one after normalising."""
    _check_lengths(truth, predicted)
    if not truth:
        return 1.0
    cache: dict[str, str] = {}

    def norm(text: str) -> str:
        found = cache.get(text)
        if found is None:
            found = cache[text] = normalise_template(text)
        return found

    correct = sum(1 for t, p in zip(truth, predicted, strict=True) if norm(t) == norm(p))
    return correct / len(truth)


def _check_lengths(truth: Sequence[object], predicted: Sequence[object]) -> None:
    if len(truth) != len(predicted):
        raise ValueError(
            f"truth and predicted must have one entry per message: {len(truth)} != {len(predicted)}"
        )
