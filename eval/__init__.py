"""Evaluation: the question set, scoring and calibration (run from the repository root)."""
