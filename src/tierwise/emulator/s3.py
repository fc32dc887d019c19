"""A local S3 for batch inference, so the emulator never reaches AWS unless told to.

With ``[batch] s3_endpoint_url`` empty, the emulator keeps batch input and output here, in
memory, and serves the same objects over S3's REST API on its own port (path-style, like
LocalStack: a request signed for the ``s3`` service is an S3 request). ``tierwise batch``
pointed at an emulator on a loopback address uses that S3 too, so a stand-alone
``tierwise emulator`` runs batches end to end offline. The bucket named in ``[batch] bucket``
exists from the start; others are made with CreateBucket, as on S3.

Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket (empty), PutObject (including
``aws-chunked`` bodies), GetObject, HeadObject, DeleteObject and ListObjectsV2 (prefix,
delimiter-free, max-keys, continuation tokens, ``encoding-type=url``). Anything else is
``501 NotImplemented``. Errors are S3's XML with its codes (NoSuchBucket, NoSuchKey, ...).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from tierwise.emulator.service import Reply

__all__ = ["LocalS3", "S3Error", "is_s3_request"]

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/s3/aws4_request")


def is_s3_request(authorization: str) -> bool:
    """Whether a request with this ``Authorization`` header was signed for S3 (the
    emulator's other APIs are signed for ``bedrock``)."""
    return "/s3/aws4_request" in authorization and bool(_S3_SCOPE.search(authorization))


class S3Error(Exception):
    """An S3 error: its code, message, HTTP status and the resource it names."""

    def __init__(self, code: str, message: str, status: int, **resource: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.resource = resource

    def reply(self) -> Reply:
        extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.resource.items())
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
            f"<Message>{escape(self.message)}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
        )
        return Reply(self.status, body.encode("utf-8"), {"Content-Type": "application/xml"})


def _no_bucket(bucket: str) -> S3Error:
    return S3Error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)


@dataclass(frozen=True)
class _Object:
    data: bytes
    content_type: str
    modified: datetime
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", f'"{hashlib.md5(self.data).hexdigest()}"')


class LocalS3:
    """Buckets of objects in memory; thread-safe. Its methods named like boto3's S3 client
    (``put_object``, ``get_object``, ``list_objects_v2``) take and return what boto3's do,
    so the emulator's batch jobs use it in place of a client."""

    def __init__(self, buckets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, _Object]] = {b: {} for b in buckets if b}
        self._created = datetime.now(UTC)

    # -- the boto3-shaped subset the batch jobs use -------------------------------------------

    def put_object(
        self,
        *,
        Bucket: str,  # noqa: N803 (boto3's parameter names)
        Key: str,  # noqa: N803
        Body: bytes,  # noqa: N803
        ContentType: str = "binary/octet-stream",  # noqa: N803
    ) -> dict[str, Any]:
        obj = _Object(bytes(Body), ContentType, datetime.now(UTC))
        with self._lock:
            self._bucket(Bucket)[Key] = obj
        return {"ETag": obj.etag}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        obj = self._object(Bucket, Key)
        return {
            "Body": io.BytesIO(obj.data),
            "ContentLength": len(obj.data),
            "ContentType": obj.content_type,
            "ETag": obj.etag,
            "LastModified": obj.modified,
        }

    def list_objects_v2(
        self,
        *,
        Bucket: str,  # noqa: N803
        Prefix: str = "",  # noqa: N803
        MaxKeys: int = 1000,  # noqa: N803
        ContinuationToken: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        after = _untoken(ContinuationToken) if ContinuationToken else ""
        with self._lock:
            objects = self._bucket(Bucket)
            keys = sorted(k for k in objects if k.startswith(Prefix) and k > after)
            page = [(k, objects[k]) for k in keys[: max(0, MaxKeys)]]
        truncated = len(keys) > len(page)
        out: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": Prefix,
            "KeyCount": len(page),
            "MaxKeys": MaxKeys,
            "IsTruncated": truncated,
            "Contents": [
                {"Key": k, "Size": len(o.data), "ETag": o.etag, "LastModified": o.modified}
                for k, o in page
            ],
        }
        if truncated and page:
            out["NextContinuationToken"] = _token(page[-1][0])
        return out

    # -- the REST API ------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:  # fmt: skip
        """One path-style S3 request."""
        try:
            return self._route(method, path, query, headers, body)
        except S3Error as error:
            if method == "HEAD":  # HEAD answers carry no body
                return Reply(error.status, b"", {"x-amz-error-code": error.code})
            return error.reply()

    def _route(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:  # fmt: skip
        bucket, _, raw_key = path.lstrip("/").partition("/")
        bucket = unquote(bucket)
        key = unquote(raw_key)
        if not bucket:
            if method == "GET":
                return self._list_buckets()
        elif not key:
            if method == "PUT":
                return self._create_bucket(bucket)
            if method == "HEAD":
                with self._lock:
                    self._bucket(bucket)
                return Reply(200, b"", {})
            if method == "DELETE":
                return self._delete_bucket(bucket)
            if method == "GET" and query.get("list-type") == "2":
                return self._list_v2(bucket, query)
        else:
            if method == "PUT" and "x-amz-copy-source" not in headers:
                return self._put(bucket, key, headers, body)
            if method in ("GET", "HEAD"):
                return self._get(bucket, key, head=method == "HEAD")
            if method == "DELETE":
                with self._lock:
                    self._bucket(bucket).pop(key, None)
                return Reply(204, b"", {})
        raise S3Error(
            "NotImplemented",
            f"The tierwise emulator's S3 does not implement {method} {path}",
            501,
        )

    def _bucket(self, name: str) -> dict[str, _Object]:
        # The caller holds the lock.
        objects = self._buckets.get(name)
        if objects is None:
            raise _no_bucket(name)
        return objects

    def _object(self, bucket: str, key: str) -> _Object:
        with self._lock:
            obj = self._bucket(bucket).get(key)
        if obj is None:
            raise S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=key)
        return obj

    def _create_bucket(self, bucket: str) -> Reply:
        if not _BUCKET_NAME.match(bucket) or ".." in bucket:
            raise S3Error(
                "InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=bucket
            )
        with self._lock:
            self._buckets.setdefault(bucket, {})
        return Reply(200, b"", {"Location": f"/{bucket}"})

    def _delete_bucket(self, bucket: str) -> Reply:
        with self._lock:
            if self._bucket(bucket):
                raise S3Error(
                    "BucketNotEmpty",
                    "The bucket you tried to delete is not empty",
                    409,
                    BucketName=bucket,
                )
            del self._buckets[bucket]
        return Reply(204, b"", {})

    def _put(self, bucket: str, key: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if "aws-chunked" in (headers.get("Content-Encoding") or ""):
            body = _decode_aws_chunked(body)
        content_type = headers.get("Content-Type") or "binary/octet-stream"
        etag = self.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        return Reply(200, b"", {"ETag": etag["ETag"]})

    def _get(self, bucket: str, key: str, *, head: bool) -> Reply:
        obj = self._object(bucket, key)
        headers = {
            "Content-Type": obj.content_type,
            "ETag": obj.etag,
            "Last-Modified": format_datetime(obj.modified, usegmt=True),
        }
        if head:
            headers["Content-Length"] = str(len(obj.data))
            return Reply(200, b"", headers)
        return Reply(200, obj.data, headers)

    def _list_buckets(self) -> Reply:
        with self._lock:
            names = sorted(self._buckets)
        stamp = _iso(self._created)
        items = "".join(
            f"<Bucket><Name>{escape(n)}</Name><CreationDate>{stamp}</CreationDate></Bucket>"
            for n in names
        )
        return _xml(
            f'<ListAllMyBucketsResult xmlns="{_NS}"><Owner><ID>tierwise-emulator</ID></Owner>'
            f"<Buckets>{items}</Buckets></ListAllMyBucketsResult>"
        )

    def _list_v2(self, bucket: str, query: Mapping[str, str]) -> Reply:
        try:
            max_keys = int(query.get("max-keys", "1000"))
        except ValueError:
            raise S3Error("InvalidArgument", "max-keys must be an integer", 400) from None
        result = self.list_objects_v2(
            Bucket=bucket,
            Prefix=query.get("prefix", ""),
            MaxKeys=min(max_keys, 1000),
            ContinuationToken=query.get("continuation-token") or None,
        )
        url = query.get("encoding-type") == "url"

        def enc(text: str) -> str:
            return escape(quote(text, safe="/") if url else text)

        contents = "".join(
            f"<Contents><Key>{enc(c['Key'])}</Key><LastModified>{_iso(c['LastModified'])}"
            f"</LastModified><ETag>{escape(c['ETag'])}</ETag><Size>{c['Size']}</Size>"
            "<StorageClass>STANDARD</StorageClass></Contents>"
            for c in result["Contents"]
        )
        token = query.get("continuation-token")
        parts = [
            f'<ListBucketResult xmlns="{_NS}"><Name>{escape(bucket)}</Name>',
            f"<Prefix>{enc(result['Prefix'])}</Prefix><KeyCount>{result['KeyCount']}</KeyCount>",
            f"<MaxKeys>{result['MaxKeys']}</MaxKeys>",
            f"<IsTruncated>{'true' if result['IsTruncated'] else 'false'}</IsTruncated>",
            f"<ContinuationToken>{escape(token)}</ContinuationToken>" if token else "",
            f"<NextContinuationToken>{result['NextContinuationToken']}</NextContinuationToken>"
            if "NextContinuationToken" in result
            else "",
            "<EncodingType>url</EncodingType>" if url else "",
            contents,
            "</ListBucketResult>",
        ]
        return _xml("".join(parts))


def _xml(text: str) -> Reply:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode()
    return Reply(200, body, {"Content-Type": "application/xml"})


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise S3Error(
            "InvalidArgument", "The continuation token provided is incorrect", 400
        ) from None


def _decode_aws_chunked(body: bytes) -> bytes:
    """The payload of an ``aws-chunked`` body: ``<hex size>[;ext]\\r\\n<data>\\r\\n`` chunks
    up to a zero-size one, then optional trailers (checksums), which are dropped."""
    out: list[bytes] = []
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise S3Error("IncompleteBody", "The aws-chunked body is truncated", 400)
        try:
            size = int(body[pos:end].split(b";", 1)[0], 16)
        except ValueError:
            raise S3Error("InvalidRequest", "The aws-chunked body is malformed", 400) from None
        if size == 0:
            return b"".join(out)
        start = end + 2
        out.append(body[start : start + size])
        pos = start + size + 2
