"""The sha256 of a file, read in chunks: what model cards and engine sidecars identify their sources by."""

import hashlib

HASH_CHUNK = 1 << 20


def file_sha256(path):
    # type: (str) -> str
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
