"""Helpers for bench/bench_voting.py: the HTTP load generator and the gunicorn wrapper."""
