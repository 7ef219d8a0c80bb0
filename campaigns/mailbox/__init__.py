"""What comes back by mail: bounces (RFC 3464), complaints (RFC 5965), replies, mailto unsubscribes.

``classify`` reads one message and says what it is and which of our messages it is
about, without touching the database; ``bounce_handling`` and ``reply_handling``
record its effects; ``fetch`` reads a maildir or an IMAP mailbox and does both, one
transaction per message.
"""
