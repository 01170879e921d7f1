"""Benchmarks of monadapter beside debugpy and pdb, against plain Python (run ``python -m benchmarks``)."""
