"""Sequences: a series of emails each contact receives on their own timeline.

A sequence is triggered by a confirmed opt-in (a welcome series), a birthday or the
anniversary of a first purchase. Each step is an ordinary email campaign, created
with the sequence (or, for the yearly triggers, once per year), so the lint gate, the
stored text, the send ledger and the reports work exactly as for any campaign. The
runner enrols the contacts a trigger picks, then queues each enrolled contact's due
steps into the step campaign's ledger, where the unique ``(campaign, contact)`` pair
makes queueing twice a no-op.
"""
