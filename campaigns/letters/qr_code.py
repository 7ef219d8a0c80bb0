"""The response device's QR code: the response URL as a tiny PNG, scaled in print.

One module per pixel (``scale=1``) and CSS ``image-rendering: pixelated``: the PDF
holds a 30-odd pixel image drawn without interpolation, so it prints as sharp as a
vector and costs WeasyPrint far less than an SVG path of every module.
"""

from __future__ import annotations

import segno

# Error correction M survives a smudge or a fold (15% of the code), and a fixed mask
# skips segno's search of all eight, which takes most of a code's build time. Every
# mask is valid; the search only makes rare codes a little easier to read.
ERROR_LEVEL = "m"
MASK = 2


def qr_data_uri(url: str) -> str:
    """A ``data:image/png`` URI of the QR code for ``url``, without a quiet zone."""
    code = segno.make_qr(url, error=ERROR_LEVEL, mask=MASK, boost_error=False)
    return str(code.png_data_uri(scale=1, border=0))
