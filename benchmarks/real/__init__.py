"""Real-data benchmarks (issue 8): forecast accuracy, the inventory trade-off, the refinery
Min/Max replay and the workshop import; see ``benchmarks/real/run.py`` and docs/results.md."""
