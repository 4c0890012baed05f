"""Campaign use cases, one module per part of a campaign (no re-exports: import from the
module):

- :mod:`.lifecycle`: campaigns (create, edit, launch, hand in, close);
- :mod:`.petition`: the double opt-in petition (sign, confirm, withdraw);
- :mod:`.ratelimit`: per-address fixed-window limits;
- :mod:`.retention`: deleting personal data, the retention purge;
- :mod:`.events`: events, RSVPs, reminders;
- :mod:`.volunteers`, :mod:`.pledges`, :mod:`.recalls`.

Officers' actions take an explicit ``actor``, run in a transaction and write an audit
entry. The public's actions (signing, confirming, withdrawing, RSVPs) write no audit
entry: the log is append-only and must not keep personal data past the retention date.
Rule clauses: ``docs/rules/campaigns.md``.
"""
