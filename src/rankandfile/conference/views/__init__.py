"""Conference pages, one module per stage of a conference (as ``services``): ``setup``
(landing, set-up, the agenda page, changing dates), ``submissions`` (submitting, the
CAC's arrangements and rulings), ``amendments``, ``delegates``, ``priorities``,
``compositing``, ``floor`` (the floor, voting pages, the results board), ``programme`` and
``rulebook``. Thin: a form reads the input, ``permissions.access_*`` loads every object
(404 when not found or not allowed), a service acts, ``queries`` read. ``urls.py`` names
each view by its module; nothing is re-exported here.

Public: the landing page, the rule book and programme (every version, compare, PDF and
JSON), the published agenda, composites and the results board. Signed in: submissions
(officers), arrangements, compositing and the floor (CAC), delegates (CLP officers and
the CAC), priorities and card votes (delegates and delegation leaders).
"""
