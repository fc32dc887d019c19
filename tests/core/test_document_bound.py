"""A budget's worst case covers what a compressed document holds, not its file size.

Bedrock bills the text it extracts from a document; a docx or xlsx is a zip and a PDF keeps
its text in deflated streams, so their files are far smaller than their text. The reserved
input (``worst_case_usage``) must still bound the billed tokens, or a budget is no cap.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from tierwise.core.budgets import worst_case_usage
from tierwise.core.tokens import IMAGE_MAX

TEXT = ("The supplier shall deliver the goods within thirty days of the order. " * 3000).encode()


def _request(fmt: str, data: bytes) -> dict[str, object]:
    document = {"document": {"format": fmt, "name": "contract", "source": {"bytes": data}}}
    content = [document, {"text": "Summarise the contract."}]
    return {
        "messages": [{"role": "user", "content": content}],
        "inferenceConfig": {"maxTokens": 10},
    }


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document><w:t>" + TEXT + b"</w:t></w:document>")
    return out.getvalue()


def _pdf(pages: int) -> bytes:
    stream = zlib.compress(b"BT /F1 12 Tf (" + TEXT + b") Tj ET")
    objects = b"".join(b"%d 0 obj << /Type /Page >> endobj\n" % (n + 3) for n in range(pages))
    return (
        b"%%PDF-1.7\n1 0 obj << /Type /Pages /Count %d >> endobj\n" % pages
        + b"2 0 obj << /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream endobj\n"
        + objects
        + b"%EOF\n"
    )


def test_a_docx_is_bounded_by_the_text_it_holds() -> None:
    data = _docx()
    assert len(data) < len(TEXT) // 20  # what the old bound (the file's bytes) reserved
    assert worst_case_usage(_request("docx", data)).input >= len(TEXT)


def test_a_pdf_is_bounded_by_its_inflated_text_and_a_page_image_per_page() -> None:
    data = _pdf(pages=40)
    assert len(data) < len(TEXT) // 20
    assert worst_case_usage(_request("pdf", data)).input >= len(TEXT) + 40 * IMAGE_MAX


def test_a_plain_or_unreadable_document_is_bounded_by_its_bytes() -> None:
    assert worst_case_usage(_request("txt", TEXT)).input >= len(TEXT)
    junk = b"PK\x03\x04 not really a zip" * 10
    assert worst_case_usage(_request("docx", junk)).input >= len(junk)
