"""Evaluation harness: labelled pairs (text → expected concept code) → ranking metrics."""
