"""The words the letter layout prints itself, and the date, per language.

A template writes its own body; the engine adds the date, the response box and the
reply card, and says them in the template's ``lang``. A language not listed here
falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LetterWords:
    """One language's labels and date format."""

    code_label: str
    scan_label: str
    reply_card_title: str
    reply_card_text: str
    reply_from: str
    months: tuple[str, ...] = ()
    # Whether the date line opens with the sender's place, as Vietnamese letters do.
    with_place: bool = False

    def date_line(self, day: date, place: str = "") -> str:
        """The letter's date line, with the sender's place when one is configured."""
        if self.months:
            text = f"{day.day} {self.months[day.month - 1]} {day.year}"
        else:
            # Vietnamese administrative style: "ngày 29 tháng 11 năm 2026".
            text = f"ngày {day.day} tháng {day.month} năm {day.year}"
        return f"{place}, {text}" if place and self.with_place else text


ENGLISH = LetterWords(
    code_label="Your personal code",
    scan_label="Scan the code, or visit",
    reply_card_title="Reply card",
    reply_card_text="Post this card back to us, with your code, to claim your offer.",
    reply_from="From",
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
)

WORDS: dict[str, LetterWords] = {
    "en": ENGLISH,
    "vi": LetterWords(
        code_label="Mã ưu đãi của bạn",
        scan_label="Quét mã hoặc truy cập",
        reply_card_title="Phiếu phản hồi",
        reply_card_text="Gửi lại phiếu này cho chúng tôi, kèm mã của bạn, để nhận ưu đãi.",
        reply_from="Người gửi",
        with_place=True,
    ),
}


def words_for(lang: str | None) -> LetterWords:
    """The words for a template's ``lang`` (``vi``, ``vi-VN``), English when unknown."""
    primary = (lang or "en").split("-")[0].lower()
    return WORDS.get(primary, ENGLISH)
