"""The persistent scheduler: campaigns sent at a time, on a cron schedule, or at a
local time in each recipient's own time zone.

``schedule_spec`` reads what the user typed, ``schedules`` writes and lists the jobs
(kept in the project database by ``job_store``), ``jobs`` holds what a job does when it
fires, ``periodic`` the work done every tick (sending started campaigns), and
``service`` runs it all.
"""
