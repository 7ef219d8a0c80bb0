"""The message bytes: built by hand for speed, checked by the stdlib parser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from typing import Any, cast

import pytest

from campaigns.render.mime_message import build_message, make_message_id

DATE = datetime(2025, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=7)))
LONG_URL = "https://shop.example.com/jazz/" + "a" * 120
TEXT = f"Chào Đức,\n\nGiảm 60% cho mọi đĩa CD jazz.\n{LONG_URL}\n\nTrailing space here \n"
HTML = (
    '<!doctype html><html lang="vi"><body><p style="color:#222">Chào Đức, giảm 60% '
    f'cho mọi đĩa CD jazz đến thứ Sáu.</p><p><a href="{LONG_URL}">Mua ngay</a></p>'
    "<p>a = b, =_hookline_ and =3D stay literal</p></body></html>"
)


def build(**overrides: Any) -> bytes:
    """A realistic Vietnamese message, with any argument overridden."""
    arguments: dict[str, Any] = {
        "from_addr": "Jazz Shop <news@shop.example.com>",
        "to_addr": "Chào Đức <duc@example.net>",
        "subject": "Đức ơi, tiết kiệm 60% khi mua đĩa CD jazz đến thứ Sáu",
        "text": TEXT,
        "html": HTML,
        "message_id": make_message_id("shop.example.com", 12, 345),
        "date": DATE,
        "reply_to": "Hỗ trợ <help@shop.example.com>",
        "list_unsubscribe_url": "https://shop.example.com/u/Zx81kQ",
        "list_unsubscribe_mailto": "unsubscribe+Zx81kQ@shop.example.com",
    }
    arguments.update(overrides)
    return build_message(**arguments)


def parse(raw: bytes) -> EmailMessage:
    """The message as a modern stdlib parser reads it."""
    return BytesParser(policy=policy.default).parsebytes(raw)


def content(message: EmailMessage, subtype: str) -> str:
    """The decoded body of the text/<subtype> part, with the wire's CRLF made LF."""
    part = message.get_body((subtype,))
    assert part is not None
    return cast(str, part.get_content()).replace("\r\n", "\n")


def stdlib_message() -> EmailMessage:
    """The same message built the slow, obviously correct way."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Jazz Shop <news@shop.example.com>"
    message["To"] = formataddr(("Chào Đức", "duc@example.net"))
    message["Subject"] = "Đức ơi, tiết kiệm 60% khi mua đĩa CD jazz đến thứ Sáu"
    message["Date"] = format_datetime(DATE)
    message["Message-ID"] = make_message_id("shop.example.com", 12, 345)
    message["Reply-To"] = formataddr(("Hỗ trợ", "help@shop.example.com"))
    message["List-Unsubscribe"] = (
        "<https://shop.example.com/u/Zx81kQ>, <mailto:unsubscribe+Zx81kQ@shop.example.com>"
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(TEXT, cte="quoted-printable")
    message.add_alternative(HTML, subtype="html", cte="quoted-printable")
    return message


def test_parses_to_the_same_message_as_the_stdlib_builder() -> None:
    ours = parse(build())
    theirs = parse(stdlib_message().as_bytes())
    for name in (
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Reply-To",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "MIME-Version",
    ):
        assert str(ours[name]) == str(theirs[name]), name
    assert ours.get_content_type() == theirs.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in ours.iter_parts()] == [
        part.get_content_type() for part in theirs.iter_parts()
    ]
    assert content(ours, "plain") == content(theirs, "plain")
    assert content(ours, "html") == content(theirs, "html")
    assert not ours.defects
    assert all(not part.defects for part in ours.walk())


def test_alternative_parts_are_text_first_then_html_in_utf8_quoted_printable() -> None:
    message = parse(build())
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert content(message, "plain") == TEXT
    assert content(message, "html") == HTML + "\n"


def test_without_html_the_message_is_a_single_text_part() -> None:
    message = parse(build(html=None))
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content().replace("\r\n", "\n") == TEXT


def test_vietnamese_subject_and_names_round_trip_from_ascii_headers() -> None:
    raw = build()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    message = parse(raw)
    assert message["Subject"] == "Đức ơi, tiết kiệm 60% khi mua đĩa CD jazz đến thứ Sáu"
    to = message["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("Chào Đức", "duc@example.net")
    assert message["Reply-To"].addresses[0].display_name == "Hỗ trợ"


def test_ascii_names_with_specials_are_quoted_not_encoded() -> None:
    raw = build(from_addr="Jazz Shop, Hanoi <news@shop.example.com>")
    assert b'From: "Jazz Shop, Hanoi" <news@shop.example.com>\r\n' in raw
    assert parse(raw)["From"].addresses[0].display_name == "Jazz Shop, Hanoi"


def test_a_plain_ascii_subject_is_not_encoded() -> None:
    raw = build(subject="An, save 60% on every jazz CD until Friday")
    assert b"\r\nSubject: An, save 60% on every jazz CD until Friday\r\n" in raw


def test_every_line_ends_in_crlf_and_fits_78_characters() -> None:
    long_subject = "An, " + "save 60% on every jazz CD until Friday " * 4
    raw = build(subject=long_subject.strip(), extra_headers={"X-Campaign": "x" * 40})
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    assert parse(raw)["Subject"] == long_subject.strip()


def test_the_long_url_survives_soft_line_breaks() -> None:
    message = parse(build())
    assert LONG_URL in content(message, "plain")
    assert f'href="{LONG_URL}"' in content(message, "html")


def test_boundary_text_in_a_body_cannot_end_the_part() -> None:
    raw = build()
    boundary = re.search(rb'boundary="([^"]+)"', raw)
    assert boundary is not None
    assert raw.count(b"--" + boundary.group(1)) == 3
    assert "=_hookline_ and =3D stay literal" in content(parse(raw), "html")


def test_message_id_date_and_mime_version_are_set() -> None:
    message = parse(build())
    assert message["Message-ID"] == make_message_id("shop.example.com", 12, 345)
    assert message["Date"].datetime == DATE
    assert message["MIME-Version"] == "1.0"


def test_one_click_unsubscribe_headers_follow_rfc_8058() -> None:
    message = parse(build())
    assert message["List-Unsubscribe"] == (
        "<https://shop.example.com/u/Zx81kQ>, <mailto:unsubscribe+Zx81kQ@shop.example.com>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mailto_only_unsubscribe_has_no_one_click_post() -> None:
    message = parse(build(list_unsubscribe_url=None))
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe+Zx81kQ@shop.example.com>"
    assert message["List-Unsubscribe-Post"] is None


def test_no_unsubscribe_and_no_reply_to_means_no_such_headers() -> None:
    message = parse(build(list_unsubscribe_url=None, list_unsubscribe_mailto=None, reply_to=None))
    assert message["List-Unsubscribe"] is None
    assert message["Reply-To"] is None


def test_a_plain_http_unsubscribe_url_is_listed_without_one_click() -> None:
    message = parse(build(list_unsubscribe_url="http://127.0.0.1:8025/u/x"))
    assert message["List-Unsubscribe"] == (
        "<http://127.0.0.1:8025/u/x>, <mailto:unsubscribe+Zx81kQ@shop.example.com>"
    )
    assert message["List-Unsubscribe-Post"] is None


def test_an_unsubscribe_url_must_be_a_web_url() -> None:
    with pytest.raises(ValueError, match="http"):
        build(list_unsubscribe_url="javascript:alert(1)")


def test_extra_headers_are_added_and_encoded_when_needed() -> None:
    message = parse(build(extra_headers={"X-Campaign-ID": "12", "X-Note": "Khuyến mãi"}))
    assert message["X-Campaign-ID"] == "12"
    assert message["X-Note"] == "Khuyến mãi"


@pytest.mark.parametrize("name", ["Subject", "content-type", "Bad Name", "X:Y"])
def test_extra_headers_cannot_repeat_ours_or_break_syntax(name: str) -> None:
    with pytest.raises(ValueError, match="extra header"):
        build(extra_headers={name: "x"})


@pytest.mark.parametrize(
    "field",
    [
        {"subject": "Hi\r\nBcc: victim@example.org"},
        {"to_addr": "An <an@example.net>\nBcc: victim@example.org"},
        {"extra_headers": {"X-Note": "a\rb"}},
        {"list_unsubscribe_mailto": "u@example.org>\r\nBcc: v@example.org"},
    ],
)
def test_line_breaks_in_header_values_are_refused(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="line break"):
        build(**field)


def test_an_address_without_at_sign_is_refused() -> None:
    with pytest.raises(ValueError, match="e-mail address"):
        build(to_addr="An Nguyen")


def test_an_internationalised_domain_travels_as_punycode() -> None:
    message = parse(build(to_addr="An <an@cửahàng.vn>"))
    assert message["To"].addresses[0].domain == "xn--cahng-tqa2694c.vn"


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build(date=datetime(2025, 12, 1, 9, 30))


def test_a_malformed_message_id_is_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        build(message_id="c12.r345@shop.example.com")


def test_message_ids_are_deterministic_per_ledger_row() -> None:
    first = make_message_id("shop.example.com", 12, 345)
    assert first == make_message_id("shop.example.com", 12, 345)
    assert re.fullmatch(r"<c12\.r345\.[0-9a-f]{8}@shop\.example\.com>", first)
    assert first != make_message_id("shop.example.com", 12, 346)
    assert first != make_message_id("shop.example.com", 13, 345)


def test_utc_dates_are_written_with_a_numeric_zone() -> None:
    raw = build(date=datetime(2025, 12, 1, 2, 30, tzinfo=UTC))
    assert b"\r\nDate: Mon, 01 Dec 2025 02:30:00 +0000\r\n" in raw


def test_a_quoted_display_name_is_read_as_one_name() -> None:
    message = parse(build(to_addr='"Nguyen, An" <an@example.net>'))
    address = message["To"].addresses[0]
    assert (address.display_name, address.addr_spec) == ("Nguyen, An", "an@example.net")


def test_a_bare_address_stays_bare() -> None:
    raw = build(to_addr="an@example.net")
    assert b"\r\nTo: an@example.net\r\n" in raw


def test_long_display_names_fold_within_78_characters() -> None:
    vietnamese = "Nguyễn Thị Minh Khai, phòng kinh doanh đĩa nhạc jazz Hà Nội"
    english = "The Hookline Records Jazz and Blues Department of Hanoi Old Quarter"
    raw = build(
        to_addr=f"{vietnamese} <customer.service@example.net>",
        from_addr=f"{english} <n@shop.example.com>",
    )
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    message = parse(raw)
    # policy.default keeps the folding space between two encoded words of a name as a
    # second space (it does the same to EmailMessage's own output); the older decoder
    # joins them as RFC 2047 says.
    to = message["To"].addresses[0]
    assert " ".join(to.display_name.split()) == vietnamese
    raw_to = re.search(rb"\r\nTo: (.*?)\r\n(?! )", raw, re.DOTALL)
    assert raw_to is not None
    unfolded = raw_to.group(1).replace(b"\r\n", b"").decode("ascii")
    decoded = str(make_header(decode_header(unfolded)))
    assert decoded == f"{vietnamese} <customer.service@example.net>"
    assert to.addr_spec == "customer.service@example.net"
    assert message["From"].addresses[0].display_name == english
