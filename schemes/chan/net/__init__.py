"""``chan:`` between processes, in layers that only reach down (README, "chan: between
processes"): ``frames`` and ``values`` (the wire), ``settings``, ``conn`` (one connection),
``handshake``, ``link`` (reliability, over a small carrier protocol), ``pump`` (reading and
heartbeats), ``guard`` (admission and byte budgets), ``dial`` and ``serve`` (the two halves
of the protocol, over the ``node`` protocol), ``bridge`` (the loop thread) and ``network``
(the thin top that composes them). This package imports none of them itself, so importing
one layer never runs the ones above it.
"""
