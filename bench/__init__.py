"""roc's benchmarks: named scenarios run side by side in one process, reported as medians
and ratios. ``python -m bench [SCENARIO...]``; ``--list`` shows what there is."""
