"""Metrics that score LogSwarm against labelled data: plain functions over plain lists.

Each submodule covers one stage (``parsing`` for template mining, ``detection`` for
detectors, ``topologies`` for the agent topologies' scorecard, ``coordination`` for the
Model 4-6 topologies on the scenario suite, ``review`` for the human review sheets) so that benchmarks and tests share one definition of every figure.
"""
