"""The per-line scorer orders by severity, then by how surprising the template is so far."""

from __future__ import annotations

import pytest

from logswarm.detect import TemplateRarityScorer


def test_severity_first_then_rarity_then_threshold_at_flag_rate() -> None:
    templates = ["a"] * 90 + ["b"] * 10
    severities = [2.0] * 90 + [6.0] * 10
    scorer = TemplateRarityScorer(flag_rate=0.05).fit(templates, severities)
    s = scorer.score(["a", "b", "c", "c"], [2.0, 6.0, 6.0, 2.0])
    assert s[2] > s[1] > s[3] > s[0]  # fatal+new > fatal+known > info+new > info+common
    assert scorer.predict(["c"], [6.0]).tolist() == [True]
    assert scorer.predict(["a"], [2.0]).tolist() == [False]


def test_scoring_is_prequential_and_leaves_the_fitted_counts_alone() -> None:
    scorer = TemplateRarityScorer().fit(["a"] * 20, [2.0] * 20)
    first = scorer.score(["z", "z", "z"], [2.0] * 3)
    assert first[0] > first[1] > first[2]  # a repeated new template becomes less surprising
    assert scorer.score(["z"], [2.0])[0] == first[0]  # ...but only within one scored stream


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="flag_rate"):
        TemplateRarityScorer(flag_rate=0.0).fit(["a"], [1.0])
    with pytest.raises(ValueError, match="pair up"):
        TemplateRarityScorer().fit(["a", "b"], [1.0])
    with pytest.raises(ValueError, match="not fitted"):
        TemplateRarityScorer().score(["a"], [1.0])
