"""Grouping and parsing accuracy as the log-parsing literature defines them."""

from __future__ import annotations

import pytest

from logswarm.evaluation.parsing import grouping_accuracy, normalise_template, parsing_accuracy


def test_grouping_accuracy_needs_exact_groups() -> None:
    truth = ["A", "A", "B", "B", "C"]
    assert grouping_accuracy(truth, [1, 1, 2, 2, 3]) == 1.0
    # Merging B and C costs all three of their lines; A stays right.
    assert grouping_accuracy(truth, [1, 1, 2, 2, 2]) == pytest.approx(2 / 5)
    # Splitting A costs both of its lines.
    assert grouping_accuracy(truth, [1, 9, 2, 2, 3]) == pytest.approx(3 / 5)


def test_grouping_accuracy_ignores_label_names() -> None:
    assert grouping_accuracy(["x", "y", "x"], ["q", "p", "q"]) == 1.0


def test_parsing_accuracy_normalises_wildcard_runs() -> None:
    truth = ["send <*> to <*>", "done"]
    assert parsing_accuracy(truth, ["send <*> <*> to <*>", "done"]) == 1.0
    assert parsing_accuracy(truth, ["send <*> to host", "done"]) == 0.5
    assert normalise_template("a  <*><*>   <*> b") == "a <*> b"


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="one entry per message"):
        grouping_accuracy(["a"], [])
    with pytest.raises(ValueError, match="one entry per message"):
        parsing_accuracy([], ["a"])


def test_empty_input_scores_one() -> None:
    assert grouping_accuracy([], []) == 1.0
    assert parsing_accuracy([], []) == 1.0
