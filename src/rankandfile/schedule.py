"""The periodic jobs: one table, run by ``rankandfile scheduler`` (``core.scheduler``).

Adding a job is adding one entry: a unique ``name``, a schedule (``Every(minutes=...)``,
``Every(hours=1, at_minute=...)``, ``Daily("HH:MM")``, ``Daily("HH:MM", days=("mon",))``;
daily times are local, ``settings.TIME_ZONE``), a description, and what it runs: either
``call=`` a dotted path to a function taking no arguments, or ``command=`` a management
command and its arguments. A job must be idempotent ("do whatever is due now"): a missed
due time is made up by one run, never one per missed slot. ``rankandfile scheduler
--list`` shows this table with each job's last and next run; ``rankandfile check`` fails
if a target cannot be imported or a name is used twice.
"""

from __future__ import annotations

from rankandfile.core.scheduler import Daily, Every, Job

JOBS: tuple[Job, ...] = (
    Job(
        "ballots_close_due",
        Every(minutes=1),
        "Mix waiting sealed papers; close and count every open ballot past its closing time.",
        call="rankandfile.ballots.tally.close_due",
    ),
    Job(
        "ballots_resume_sends",
        Every(minutes=1),
        "Queue work for ballot emails no worker is sending (a worker was killed mid-batch).",
        call="rankandfile.ballots.invitations.resume_stalled",
    ),
    Job(
        "meetings_resume_sends",
        Every(minutes=5),
        "Queue meeting notices and officers' messages no worker is sending.",
        call="rankandfile.meetings.tasks.resume_stalled",
    ),
    Job(
        "accounts_resume_sends",
        Every(minutes=1),
        "Queue work for account activation emails no worker is sending (decision 0024).",
        call="rankandfile.membership.accounts.resume_stalled",
    ),
    Job(
        "accountability_alert_digests",
        Every(hours=1, at_minute=10),
        "Send members the alert digests of newly linked votes against policy (L1).",
        call="rankandfile.accountability.alerts.send_digests",
    ),
    Job(
        "accountability_fetch",
        Daily("02:30"),
        "Fetch the last fortnight's Commons divisions and their MPs' party histories from "
        "Parliament's APIs; import atomically (F1-F5); scores recompute, officers are told "
        "of linked divisions that changed.",
        call="rankandfile.accountability.live.fetch_recent",
    ),
    Job(
        "campaigns_send_reminders",
        Every(hours=1, at_minute=5),
        "Queue reminders for replies to campaign events starting within a day.",
        call="rankandfile.campaigns.services.events.send_reminders",
    ),
    Job(
        "selections_send_reminders",
        Daily("07:00"),
        "Remind CLP officers of selection stages ending within three days.",
        call="rankandfile.selections.services.reminders_send",
    ),
    Job(
        "campaigns_purge_expired",
        Daily("03:30"),
        "Delete signers' personal data past each campaign's retention date.",
        call="rankandfile.campaigns.services.retention.purge_expired",
    ),
    Job(
        "audit_publish_head",
        Daily("06:00"),
        "Email the audit log's head (count:digest, sealed) to every scrutineer.",
        call="rankandfile.membership.tasks.publish_audit_head_now",
    ),
    Job(
        "audit_verify",
        Daily("05:30"),
        "Recompute the audit log's chain and seals against every published head.",
        command=("audit_verify",),
    ),
    Job(
        "privacy_apply_retention",
        Daily("03:45"),
        "Erase the personal data of members lapsed longer than the retention period.",
        call="rankandfile.privacy.services.retention_apply",
    ),
    Job(
        "sessions_clear_expired",
        Daily("04:00"),
        "Delete expired login sessions (Django's clearsessions).",
        command=("clearsessions",),
    ),
    Job(
        "tasks_prune_results",
        Daily("04:15"),
        "Delete finished background-task results older than 14 days (database queue).",
        call="rankandfile.core.maintenance.prune_task_results",
    ),
)
