"""tierwise fills and reads botocore's HeadersDict through its own table, keyed by botocore's
private _HeaderKey (tierwise.bedrock.header_keys, the one module importing it). These fail
loudly, against the installed botocore, if HeadersDict stops keying its table that way:
headers filled in would then not be found by name (a request sent without its signature)."""

from __future__ import annotations

import ast
from pathlib import Path

from botocore.awsrequest import HeadersDict

import tierwise.bedrock
from tierwise.bedrock.header_keys import HeaderKey, header_table, headers_from


def test_headers_dict_keys_its_table_by_header_key() -> None:
    headers = HeadersDict()
    headers["X-Amz-Date"] = "20261207T000000Z"
    table = header_table(headers)
    (key,) = table
    assert type(key) is HeaderKey
    # transport and responding read these two fields of each key.
    assert (key._key, key._lower) == ("X-Amz-Date", "x-amz-date")
    assert table[HeaderKey("x-amz-date")] == "20261207T000000Z"


def test_a_table_filled_here_reads_back_by_name_in_any_case() -> None:
    headers = headers_from({HeaderKey("Authorization"): b"Bearer t"})
    assert headers["authorization"] == headers["AUTHORIZATION"] == b"Bearer t"
    assert list(headers) == ["Authorization"] and len(headers) == 1
    filled = HeadersDict()
    header_table(filled)[HeaderKey("Content-Length")] = "12"
    assert "content-length" in filled and filled.copy()["Content-Length"] == "12"


def test_only_header_keys_imports_the_private_name() -> None:
    root = Path(tierwise.bedrock.__file__).parent.parent
    importers = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and any(a.name == "_HeaderKey" for a in node.names):
                importers.append(path.relative_to(root).as_posix())
    assert importers == ["bedrock/header_keys.py"]
