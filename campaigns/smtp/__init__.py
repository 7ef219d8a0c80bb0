"""Email over SMTP: the server URL, one connection that turns replies into outcomes,
the send-rate limiter, and the capture server and outbox used when no SMTP is configured.
"""
