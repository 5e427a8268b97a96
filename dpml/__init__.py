"""DPML, NetKernel 3's declarative process language (arrives with its own issue)."""
