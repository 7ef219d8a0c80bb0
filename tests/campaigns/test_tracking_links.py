"""Tracked links and the open pixel in a rendered message."""

from __future__ import annotations

from urllib.parse import quote

from campaigns.render.tracking_links import add_open_pixel, rewrite_links

UNSUBSCRIBE = "https://shop.example.com/u/tok"
PIXEL = (
    '<img src="https://t.example/o/1.gif" width="1" height="1" alt="" '
    'style="display:block;border:0" />'
)


def click(url: str) -> str:
    """A click-tracking URL that carries the original, like the real tracker's."""
    return "https://t.example/c/tok?u=" + quote(url, safe="") + "&v=1"


def keep(url: str) -> bool:
    """The unsubscribe and view-online links are never tracked."""
    return url.startswith(("https://shop.example.com/u/", "https://shop.example.com/v/"))


def test_web_links_go_through_the_click_tracker() -> None:
    html = '<p><a class="button" href="https://shop.example.com/jazz">Shop</a></p>'
    assert rewrite_links(html, click, keep) == (
        '<p><a class="button" href="https://t.example/c/tok?u=https%3A%2F%2Fshop.example.com'
        '%2Fjazz&amp;v=1">Shop</a></p>'
    )


def test_the_original_url_is_unescaped_before_the_tracker_sees_it() -> None:
    seen: list[str] = []

    def record(url: str) -> str:
        seen.append(url)
        return "https://t.example/c/1"

    rewrite_links('<a href="http://shop.example.com/?a=1&amp;b=2">x</a>', record, keep)
    assert seen == ["http://shop.example.com/?a=1&b=2"]


def test_single_quoted_unquoted_and_upper_case_links_are_tracked() -> None:
    html = "<A HREF='https://a.example/1'>a</A> <a id=x href=https://b.example/2>b</a>"
    out = rewrite_links(html, lambda url: f"https://t.example/?{url[-1]}", keep)
    assert out == ('<A HREF="https://t.example/?1">a</A> <a id=x href="https://t.example/?2">b</a>')


def test_mailto_tel_anchors_relative_and_kept_links_are_left_alone() -> None:
    html = (
        '<a href="mailto:help@shop.example.com">m</a><a href="tel:+84241234567">t</a>'
        '<a href="#top">a</a><a href="/local">r</a>'
        f'<a href="{UNSUBSCRIBE}">Unsubscribe</a><a href="https://shop.example.com/v/tok">v</a>'
    )
    assert rewrite_links(html, click, keep) == html


def test_only_the_href_of_a_tags_changes() -> None:
    html = (
        '<link href="https://fonts.example/css"><area href="https://a.example/">'
        '<a data-href="https://d.example/" title="see href=&quot;x&quot; >" '
        'href="https://shop.example.com/">x</a><p>https://shop.example.com/ in text</p>'
    )
    out = rewrite_links(html, lambda url: "https://t.example/c", keep)
    assert out == html.replace('href="https://shop.example.com/"', 'href="https://t.example/c"')


def test_every_link_is_rewritten_not_just_the_first() -> None:
    html = '<a href="https://a.example/">1</a> <a href="https://b.example/">2</a>'
    out = rewrite_links(html, lambda url: "https://t.example/" + url[8], keep)
    assert out == '<a href="https://t.example/a">1</a> <a href="https://t.example/b">2</a>'


def test_open_pixel_goes_just_before_the_closing_body_tag() -> None:
    html = "<html><body><p>Hi</p></body></html>"
    out = add_open_pixel(html, "https://t.example/o/1.gif")
    assert out == f"<html><body><p>Hi</p>{PIXEL}</body></html>"


def test_open_pixel_finds_an_upper_case_closing_body_tag() -> None:
    out = add_open_pixel("<BODY><p>Hi</p></BODY >\n", "https://t.example/o/1.gif")
    assert out == f"<BODY><p>Hi</p>{PIXEL}</BODY >\n"


def test_open_pixel_goes_at_the_end_without_a_body() -> None:
    assert add_open_pixel("<p>Hi</p>", "https://t.example/o/1.gif") == f"<p>Hi</p>{PIXEL}"


def test_open_pixel_url_is_html_escaped() -> None:
    out = add_open_pixel("<body></body>", 'https://t.example/o?a=1&b="2"')
    assert 'src="https://t.example/o?a=1&amp;b=&quot;2&quot;"' in out
