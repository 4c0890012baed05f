"""Conference reads for pages and the API, one module per stage of a conference (the same
names as ``services/`` and ``views/``; query counts are pinned in tests):

``common`` (which conference, the rules it is judged by), ``rulebook``, ``setup`` (the
conferences and their topics), ``submissions`` (motions and rule changes), ``amendments``
(and the documents they may amend), ``delegates`` (membership at the census date,
entitlement), ``priorities``, ``compositing``, ``floor`` (the agenda, card-vote tallies),
``hall`` (the live hall's snapshot, speakers and turnout) and ``programme``.

Callers import the stage module (``from rankandfile.conference.queries import floor``);
nothing is re-exported here.
"""
