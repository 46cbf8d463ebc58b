"""The benchmark of issue #7: `python -m bench.run` (see run.py)."""
