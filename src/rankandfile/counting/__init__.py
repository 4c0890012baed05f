"""Pure counting library: ballots in, immutable results with a full audit trail out.

NumPy and the standard library only; never imports Django or any other rankandfile
module (enforced by import-linter).
"""
