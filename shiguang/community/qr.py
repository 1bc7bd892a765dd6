"""QR codes for check-in at the door (segno, inline SVG: no image files, nothing from outside)."""

from __future__ import annotations

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def svg(url: str, *, title: str = "", scale: int = 8) -> SafeString:
    code = segno.make(url, error="m")
    # No width/height: the code scales to its container (the door page is printed, or shown on a phone).
    markup = code.svg_inline(
        scale=scale, border=2, dark="#000", light="#fff", title=title or None, omitsize=True
    )
    # segno writes only attributes (no <style>, no script), so the markup passes the CSP as is.
    label = escape(title or url)
    return mark_safe(markup.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308
