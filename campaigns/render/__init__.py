"""Turn a campaign template and one recipient into a message.

Jinja in a sandbox, CSS inlined once, the text part, tracked links, MIME bytes, DKIM.
"""
