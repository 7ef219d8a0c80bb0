"""The web endpoints recipients reach from a message, served by ``hookline serve``.

Opens and clicks (:mod:`.event_writer` records them in batches), one-click and page
unsubscription, "view in browser", and the double opt-in signup (:mod:`.subscribe`).
:func:`campaigns.tracking.app.create_app` assembles them into one ASGI app.
"""
