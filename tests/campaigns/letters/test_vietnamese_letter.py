"""A Vietnamese letter prints its diacritics with an embedded Vietnamese font."""

from __future__ import annotations

import subprocess
from pathlib import Path

from audiences.db import Database
from tests.campaigns.conftest import Hookline
from tests.campaigns.letters.conftest import FIXTURES, pdf_pages
from tests.campaigns.people import add_people


def test_vietnamese_text_comes_back_exactly_in_an_embedded_dejavu_or_noto_font(
    letters: Hookline, letters_db: Database
) -> None:
    add_people(
        letters_db,
        2,
        first_name="Đức",
        last_name="Nguyễn",
        address_line1="12 Hàng Bài",
        address_line2="Phường Hoàn Kiếm",
        city="Hà Nội",
        postcode="100000",
        country="Việt Nam",
    )
    result = letters.run(
        "campaign", "create", "tri-an", "--template", str(FIXTURES / "thu-cam-on.html.j2"),
        "--channel", "letter",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    result = letters.run("campaign", "send", "tri-an")

    assert result.exit_code == 0, result.output
    pdf = Path(letters.env["HOOKLINE_LETTERS_OUTPUT"]) / "tri-an" / "letters.pdf"
    pages = pdf_pages(pdf)
    assert len(pages) == 2
    for page in pages:
        for text in (
            "Kính gửi Nguyễn Đức,",
            "ưu đãi giảm 20%",
            "Phường Hoàn Kiếm",
            "Hà Nội 100000",
            "Việt Nam",
            "Mã ưu đãi của bạn",
            # The date in Vietnamese style, after the configured place.
            "Hà Nội, ngày ",
        ):
            assert text in page
        assert "tháng" in page and "năm" in page
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts
    for line in fonts:
        # name, type, encoding, emb, sub, uni, object id: every font embedded, all DejaVu/Noto.
        assert "DejaVu" in line or "Noto" in line, line
        columns = line.split()
        assert columns[-5] == "yes", line
