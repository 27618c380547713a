#!/usr/bin/env python3
"""Writes the seed corpora of the HTTP/2 fuzz targets: corpus/http2/conversation (inputs of
http2_conversation_fuzz: the 8-byte schedule header, then the client-to-server and the
server-to-client stream) and corpus/http2/hpack (blocks for http2_hpack_fuzz, each a length
byte then the block). Header blocks use plain literals (with and without indexing) and static
and dynamic references; the HPACK seeds add RFC 7541's Appendix C request examples (Huffman).
Run it from anywhere: python3 tests/fuzz/http2_make_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def settings(values=()):
    return frame(4, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in values))


def lit(name, value, index=True):
    """A literal with (0x40) or without (0x00) incremental indexing, new name, no Huffman."""
    out = bytes([0x40 if index else 0x00])
    for s in (name, value):
        out += bytes([len(s)]) + s
    return out


def message(body):
    return b"\x00" + struct.pack(">I", len(body)) + body


REQUEST_FIRST = (b"\x83\x86" + lit(b":path", b"/helloworld.Greeter/SayHello") +
                 lit(b":authority", b"localhost:50051") + lit(b"content-type", b"application/grpc") +
                 lit(b"te", b"trailers"))
REQUEST_AGAIN = b"\x83\x86\xc1\xc0\xbf\xbe"  # the four entries above, newest first
RESPONSE_FIRST = b"\x88" + lit(b"content-type", b"application/grpc")
RESPONSE_AGAIN = b"\x88\xc0"  # content-type, behind the two trailer entries
TRAILERS_FIRST = lit(b"grpc-status", b"0") + lit(b"grpc-message", b"")
TRAILERS_AGAIN = b"\xbf\xbe"


def unary(stream, req_block, resp_block, trailers):
    c = frame(1, 4, stream, req_block) + frame(0, 1, stream, message(b"hi"))
    s = (frame(1, 4, stream, resp_block) + frame(0, 0, stream, message(b"there")) +
         frame(1, 5, stream, trailers))
    return c, s


def conversation(name, client, server, seed=1, max_chunk=16, flags=0):
    head = struct.pack("<HIBB", len(client), seed, max_chunk - 1, flags)
    with open(os.path.join(HERE, "corpus", "http2", "conversation", name), "wb") as f:
        f.write(head + client + server)


def hpack(name, blocks):
    with open(os.path.join(HERE, "corpus", "http2", "hpack", name), "wb") as f:
        for b in blocks:
            f.write(bytes([len(b)]) + b)


def main():
    os.makedirs(os.path.join(HERE, "corpus", "http2", "conversation"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "corpus", "http2", "hpack"), exist_ok=True)

    # Two unary calls from the preface.
    c1, s1 = unary(1, REQUEST_FIRST, RESPONSE_FIRST, TRAILERS_FIRST)
    c2, s2 = unary(3, REQUEST_AGAIN, RESPONSE_AGAIN, TRAILERS_AGAIN)
    client = PREFACE + settings([(4, 65535)]) + frame(4, 1, 0, b"") + c1 + c2
    server = settings([(5, 32768)]) + frame(4, 1, 0, b"") + frame(6, 0, 0, b"12345678") + s1 + s2
    conversation("unary_from_preface", client, server, flags=2)
    conversation("unary_from_preface_gaps", client, server, seed=7, max_chunk=40, flags=1 | 2)

    # The same calls joined after the first: dynamic references to entries not seen.
    conversation("late_join", c2 + unary(5, REQUEST_AGAIN, RESPONSE_AGAIN, TRAILERS_AGAIN)[0],
                 s2 + unary(5, REQUEST_AGAIN, RESPONSE_AGAIN, TRAILERS_AGAIN)[1], max_chunk=64)

    # Concurrent streams: trailers-only NOT_FOUND, a reset, a GOAWAY; CONTINUATION and PADDED.
    c = (PREFACE + settings() +
         frame(1, 0, 1, REQUEST_FIRST[:10]) + frame(9, 4, 1, REQUEST_FIRST[10:]) +
         frame(0, 0x9, 1, b"\x02" + message(b"x") + b"\x00\x00") +
         frame(1, 0x24, 3, b"\x00\x00\x00\x01\x10" + REQUEST_AGAIN) + frame(0, 1, 3, message(b"y")) +
         frame(1, 4, 5, REQUEST_AGAIN) + frame(0, 1, 5, message(b"z")) +
         frame(1, 4, 7, REQUEST_AGAIN) + frame(0, 1, 7, message(b"w")))
    s = (settings() + frame(4, 1, 0, b"") +
         frame(1, 5, 3, RESPONSE_FIRST + lit(b"grpc-status", b"5")) +
         frame(3, 0, 1, struct.pack(">I", 8)) +
         frame(7, 0, 0, struct.pack(">II", 5, 0) + b"debug") +
         frame(1, 4, 5, b"\x88\xbf") + frame(0, 0, 5, message(b"ok")) +
         frame(1, 5, 5, lit(b"grpc-status", b"0")))
    conversation("concurrent_rst_goaway", c, s, seed=3, max_chunk=8, flags=2)

    # Plain HTTP/2 (not gRPC), a frame too large, garbage after the preface.
    get = b"\x82\x87\x84" + lit(b":authority", b"example.com", index=False)
    conversation("plain_http2", PREFACE + settings() + frame(1, 5, 1, get),
                 settings() + frame(1, 4, 1, b"\x88") + frame(0, 1, 1, b"<html></html>"))
    conversation("frame_too_large", PREFACE + settings() + frame(1, 4, 1, REQUEST_FIRST) +
                 frame(0, 1, 1, b"x" * 20000)[:200], settings() + frame(3, 0, 1, b"\x00\x00\x00\x08"))
    conversation("garbage_after_preface", PREFACE + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                 b"\xff" * 32)

    # HPACK: the RFC 7541 Appendix C.4 requests (Huffman), C.3 (plain), size updates.
    hpack("rfc7541_c4", [bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff"),
                         bytes.fromhex("828684be5886a8eb10649cbf"),
                         bytes.fromhex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")])
    hpack("rfc7541_c3", [bytes.fromhex("828684410f7777772e6578616d706c652e636f6d"),
                         bytes.fromhex("828684be58086e6f2d6361636865"),
                         bytes.fromhex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565")])
    hpack("grpc_and_size_updates", [REQUEST_FIRST, REQUEST_AGAIN, b"\x20" + b"\x82",
                                    b"\x3f\xe1\x1f" + lit(b"k", b"v" * 100) + b"\xbe",
                                    lit(b"x-never", b"secret", index=False)])


if __name__ == "__main__":
    main()
