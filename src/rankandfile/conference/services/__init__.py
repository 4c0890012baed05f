"""Conference use cases (writes), one module per stage of a conference:

``rulebook`` (load and publish the rule book), ``setup`` (a conference, its dates, its
topics), ``submissions`` (motions and rule changes, rulings, the agenda), ``amendments``,
``delegates`` (CLP delegates, affiliate delegations, credentials), ``priorities`` (the
priorities ballot), ``compositing``, ``floor`` (items, card votes, decisions) and
``programme`` (the party programme, historic votes).

Every function is keyword-only with an explicit ``actor``, runs in one transaction and
writes an audit entry (casting a card writes none: the card row is the record and the hot
path must stay one UPDATE). Errors are :class:`DomainError` with a message a user can act
on; rule clauses cited are in docs/rules/conference.md. Callers import the stage module
(``from rankandfile.conference.services import floor``); nothing is re-exported here.
"""
