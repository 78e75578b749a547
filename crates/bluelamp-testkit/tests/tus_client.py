"""A tus client no one here wrote (tuspy) uploads evidence to Bluelamp: in 1 MiB
chunks with SHA-1 checksums, broken off after the first chunk and resumed by a second
uploader from the upload's address. Prints what it saw as JSON.

usage: tus_client.py <base url> <force code> <work dir>
"""
import hashlib
import json
import os
import struct
import sys

from tusclient import client

base, code, work = sys.argv[1], sys.argv[2], sys.argv[3]
endpoint = f"{base}/forces/{code}/uploads"
ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 0x200) + b"isommp41"
data = ftyp + os.urandom(5 * 1024 * 1024 - len(ftyp))
path = os.path.join(work, "clip.mp4")
with open(path, "wb") as f:
    f.write(data)

tus = client.TusClient(endpoint)
first = tus.uploader(path, chunk_size=1024 * 1024, metadata={"filename": "clip.mp4", "filetype": "video/mp4"}, upload_checksum=True)
first.upload_chunk()  # one chunk, then the connection "drops"
broken_at = first.offset
url = first.url

second = tus.uploader(path, chunk_size=1024 * 1024, url=url, upload_checksum=True)
resumed_from = second.get_offset()
second.upload()
print(json.dumps({
    "url": url,
    "broken_at": broken_at,
    "resumed_from": resumed_from,
    "final_offset": second.offset,
    "length": len(data),
    "sha256": hashlib.sha256(data).hexdigest(),
}))
