"""The web app for marketers, served by ``hookline serve`` under ``/app/``.

Server-rendered Jinja pages with htmx for the live parts (lint as you type, segment
counts, progress). Every page needs a signed-in account; every change needs the
marketer role (accounts: admin) and the session's CSRF token.
"""
