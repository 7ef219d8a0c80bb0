"""Hookline's campaigns: rendering, the lint gate, sending, scheduling, tracking, reports.

It also holds the ``hookline`` command line, which mounts the linter's ``lint`` command.
"""
