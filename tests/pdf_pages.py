"""Reading a PDF in tests with pypdfium2: the text of each page, closing what it opens."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium


def page_texts(source: bytes | Path) -> list[str]:
    """The extracted text of every page of ``source`` (bytes or a file)."""
    pdf = pdfium.PdfDocument(source)
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        pdf.close()
