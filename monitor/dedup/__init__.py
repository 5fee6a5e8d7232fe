"""Repost detection: normalisation, winnowed shingle fingerprints, containment verdicts."""
