"""Parsing HOOKLINE_SMTP_URL."""

from __future__ import annotations

import pytest

from campaigns.smtp.smtp_url import SmtpUrl, SmtpUrlError, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpUrl("smtp", "127.0.0.1", 2525)),
        ("smtp://relay.local", SmtpUrl("smtp", "relay.local", 25)),
        (
            "smtp+starttls://news:secret@mail.example.com",
            SmtpUrl("smtp+starttls", "mail.example.com", 587, "news", "secret"),
        ),
        (
            "smtps://news:secret@mail.example.com",
            SmtpUrl("smtps", "mail.example.com", 465, "news", "secret"),
        ),
        ("SMTPS://Mail.Example.com:4650/", SmtpUrl("smtps", "mail.example.com", 4650)),
        ("smtp://[::1]:2525", SmtpUrl("smtp", "::1", 2525)),
        ("  smtp://relay.local:26\n", SmtpUrl("smtp", "relay.local", 26)),
    ],
)
def test_accepted_forms_parse_with_default_ports(url: str, expected: SmtpUrl) -> None:
    assert parse_smtp_url(url) == expected


def test_user_and_password_are_percent_decoded() -> None:
    url = parse_smtp_url("smtps://news%40shop.example:p%40ss%3Aw%2Ford@mail.example.com")

    assert url.username == "news@shop.example"
    assert url.password == "p@ss:w/ord"


def test_user_without_password_is_kept_for_the_client_to_complain_about() -> None:
    url = parse_smtp_url("smtp+starttls://news@mail.example.com")

    assert (url.username, url.password) == ("news", None)


def test_display_masks_the_password() -> None:
    url = parse_smtp_url("smtp+starttls://news%40shop:hunter2@mail.example.com:2587")

    assert url.display() == "smtp+starttls://news%40shop:***@mail.example.com:2587"
    assert parse_smtp_url("smtp://[::1]").display() == "smtp://[::1]:25"


def test_repr_leaves_the_password_out() -> None:
    assert "hunter2" not in repr(parse_smtp_url("smtps://news:hunter2@mail.example.com"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mail.example.com:587", "it has no scheme"),
        ("http://mail.example.com", "the scheme 'http' is not one of smtp, smtp+starttls, smtps"),
        ("smtp://:2525", "it has no host"),
        ("smtp://mail.example.com:99999", "the port must be a number from 1 to 65535"),
        ("smtp://mail.example.com:abc", "the port must be a number from 1 to 65535"),
        ("smtp://mail.example.com:0", "the port must be a number from 1 to 65535"),
        ("smtp://mail.example.com/inbox", "it has a path, query or fragment"),
        ("smtp://mail.example.com?tls=1", "it has a path, query or fragment"),
        ("smtps://:secret@mail.example.com", "it has a password but no user name"),
    ],
)
def test_bad_url_names_the_problem_and_the_accepted_forms(url: str, problem: str) -> None:
    with pytest.raises(SmtpUrlError) as raised:
        parse_smtp_url(url)

    message = str(raised.value)
    assert problem in message
    assert message.endswith(
        "accepted forms: smtp://host:port, smtp+starttls://user:pass@host:587, "
        "smtps://user:pass@host:465"
    )
    assert "\n" not in message


def test_error_message_hides_the_credentials() -> None:
    with pytest.raises(SmtpUrlError) as raised:
        parse_smtp_url("smtps://news:hunter2@mail.example.com/x")

    assert "hunter2" not in str(raised.value)
    assert "'smtps://***@mail.example.com/x'" in str(raised.value)


def test_url_error_is_a_value_error() -> None:
    assert issubclass(SmtpUrlError, ValueError)
