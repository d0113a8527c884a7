"""Metrics that score LogSwarm against labelled data: plain functions over plain lists.

Each submodule covers one stage (``parsing`` for template mining, ``detection`` for
detectors) so that benchmarks and tests share one definition of every figure.
"""
