"""A/B subject tests: a share of the audience gets subject A or B, the rest the winner.

``plan`` sets a test up on a draft, ``subject_b`` compiles and lints subject B,
``split`` draws the two test groups when the send starts, ``decision`` picks the
winner and releases the held rows, and ``summary`` reports on it. The public entry
points are gathered in :mod:`campaigns.ab_test`.
"""
