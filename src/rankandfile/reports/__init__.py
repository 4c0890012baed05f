"""Reports on counts: the returning officer's result sheet (text, CSV), charts of the
rounds, and the ``rankandfile count`` command.

Pure of Django (import-linter enforces it), so the command line runs without settings and
the web pages reuse :mod:`~rankandfile.reports.sheet` and :mod:`~rankandfile.reports.charts`.
"""
