"""Background tasks for accountability (django-tasks; immediate in development and tests).

- :func:`recompute_scores_task` recomputes and stores scores (``batch.recompute_scores``)
  after an import or a change to a policy's links (rule B1: batch, not request time).
- :func:`send_alerts_task` sends the alert digests (``alerts.send_digests``, rule L1).
- :func:`linked_divisions_changed_task` tells policy officers that a re-import changed
  divisions linked to policies (``alerts.send_linked_division_notices``, rule L2).

Importers and services call :func:`after_import` / :func:`after_link_change` from
``transaction.on_commit``, so tasks only ever see committed data.
"""

from __future__ import annotations

from django_tasks import task

from rankandfile.core import audit


@task()
def recompute_scores_task(policy_ids: list[int] | None, reason: str) -> dict[str, float]:
    from rankandfile.accountability.batch import recompute_scores

    with audit.context("task"):
        result = recompute_scores(policy_ids=policy_ids, reason=reason)
    return {"scores": result.scores, "seconds": result.seconds}


@task()
def send_alerts_task() -> int:
    from rankandfile.accountability.alerts import send_digests

    with audit.context("task"):
        return send_digests()


def after_import(new_division_ids: list[int]) -> None:
    """Scores for everything (votes changed), then digests for newly linked divisions."""
    recompute_scores_task.enqueue(None, f"import of {len(new_division_ids)} new division(s)")
    send_alerts_task.enqueue()


@task()
def linked_divisions_changed_task(division_ids: list[int]) -> int:
    from rankandfile.accountability.alerts import send_linked_division_notices

    with audit.context("task"):
        return send_linked_division_notices(division_ids)


def after_linked_division_change(division_ids: list[int]) -> None:
    """A re-import changed divisions already linked to policies: tell the policy officers
    (the recompute is already queued by :func:`after_import`)."""
    linked_divisions_changed_task.enqueue(sorted(set(division_ids)))


def after_link_change(policy_ids: list[int]) -> None:
    recompute_scores_task.enqueue(sorted(set(policy_ids)), "policy links changed")
    send_alerts_task.enqueue()
