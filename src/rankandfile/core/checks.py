"""System checks of the platform (``rankandfile check``; every command runs them)."""

from __future__ import annotations

from typing import Any

from django.core import checks


@checks.register()
def schedule_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The periodic jobs' table (``rankandfile/schedule.py``) must resolve."""
    from rankandfile.core import scheduler

    return [
        checks.Error(problem, hint="Fix rankandfile/schedule.py.", id="rankandfile.E010")
        for problem in scheduler.problems(scheduler.jobs())
    ]
