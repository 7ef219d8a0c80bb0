"""The response device's QR code: the response URL as a tiny PNG, scaled in print.

One module per pixel and CSS ``image-rendering: pixelated``: the PDF holds a 30-odd
pixel image drawn without interpolation, so it prints as sharp as a vector and costs
WeasyPrint far less than an SVG path of every module. The PNG is 8-bit grayscale,
written here: WeasyPrint takes such a PNG as it is, where segno's 1-bit PNG is
converted to RGB and encoded again for every letter.
"""

from __future__ import annotations

import struct
import zlib
from base64 import b64encode

import segno

# Error correction M survives a smudge or a fold (15% of the code), and a fixed mask
# skips segno's search of all eight, which takes most of a code's build time. Every
# mask is valid; the search only makes rare codes a little easier to read.
ERROR_LEVEL = "m"
MASK = 2

# A module of segno's matrix is 1 when dark: dark is black (0), light is white (255).
_GRAY = bytes([255, 0]) + bytes(254)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def qr_png(url: str) -> bytes:
    """The QR code for ``url`` as a grayscale PNG, one pixel a module, no quiet zone."""
    code = segno.make_qr(url, error=ERROR_LEVEL, mask=MASK, boost_error=False)
    rows = [bytes(row).translate(_GRAY) for row in code.matrix]
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + row for row in rows), 9)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", pixels),
            _chunk(b"IEND", b""),
        )
    )


def qr_data_uri(url: str) -> str:
    """A ``data:image/png`` URI of the QR code for ``url``, without a quiet zone."""
    return "data:image/png;base64," + b64encode(qr_png(url)).decode("ascii")
