"""A file-transfer client written from the README alone (section "The
protocol"), in the course's language, standard library only.

    python3 ft_client.py HOST:PORT USER PASSWORD [COMMAND ...]

Logs in with SCRAM-SHA-256, then runs the commands in order on the same
connection:

    ls              -> "entry <size> <modified> <name>" per file, then "end"
    get NAME DEST   -> "received <name> <size> <sha256>"  (DEST written whole)
    put SRC NAME    -> "stored <name> <size> <sha256> <previous>"

after printing "welcome" once logged in (fields separated by one tab). An
ERROR frame prints "error <code> <message>" and ends the program with exit
code 3. Anything that breaks the protocol (a wrong server signature, a
digest that does not match, an unexpected frame) ends it with a message on
stderr and exit code 2.
"""

import hashlib
import hmac
import os
import socket
import struct
import sys

PROTOCOL = "file-transfer/1"
CHUNK = 64 * 1024


class ProtocolError(Exception):
    pass


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


class Frames:
    """kind (1 byte, an ASCII letter) | length (4 bytes, big-endian) | body"""

    def __init__(self, sock):
        self.sock = sock

    def read_exactly(self, n):
        data = b""
        while len(data) < n:
            more = self.sock.recv(n - len(data))
            if not more:
                raise ProtocolError("the server closed the connection")
            data += more
        return data

    def recv(self):
        kind, length = struct.unpack(">cI", self.read_exactly(5))
        body = self.read_exactly(length)
        if kind == b"E":
            fields = Body(body)
            raise Refused(fields.u16(), fields.string())
        return kind, Body(body)

    def expect(self, wanted):
        kind, body = self.recv()
        if kind != wanted:
            raise ProtocolError("expected a %r frame, got %r" % (wanted, kind))
        return body

    def send(self, kind, body=b""):
        self.sock.sendall(kind + struct.pack(">I", len(body)) + body)


class Body:
    """Inside a body: big-endian integers, strings with a 2-byte length."""

    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise ProtocolError("a frame body is too short")
        part = self.data[self.at:self.at + n]
        self.at += n
        return part

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def short_bytes(self):
        return self.take(self.u16())

    def string(self):
        return self.short_bytes().decode("utf-8")

    def raw32(self):
        return self.take(32)


def string(text):
    data = text.encode("utf-8")
    return struct.pack(">H", len(data)) + data


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def login(frames, user, password):
    body = frames.expect(b"H")
    if body.string() != PROTOCOL:
        raise ProtocolError("not a %s server" % PROTOCOL)
    server_nonce = body.raw32()
    client_nonce = os.urandom(32)
    frames.send(b"A", string(user) + client_nonce)
    body = frames.expect(b"C")
    iterations = body.u32()
    salt = body.short_bytes()
    auth_message = (PROTOCOL.encode() + b"\0" + user.encode("utf-8") + b"\0"
                    + client_nonce + server_nonce
                    + struct.pack(">I", iterations) + salt)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt,
                                 iterations, 32)
    client_key = hmac_sha256(salted, b"Client Key")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac_sha256(salted, b"Server Key")
    proof = xor(client_key, hmac_sha256(stored_key, auth_message))
    frames.send(b"P", proof)
    signature = frames.expect(b"W").raw32()
    if not hmac.compare_digest(signature,
                               hmac_sha256(server_key, auth_message)):
        raise ProtocolError("the server's signature is wrong")


def ls(frames):
    frames.send(b"L")
    while True:
        kind, body = frames.recv()
        if kind == b"Z":
            say("end")
            return
        if kind != b"N":
            raise ProtocolError("expected ENTRY or END, got %r" % kind)
        name = body.string()
        size = body.u64()
        modified = body.u64()
        say("entry", size, modified, name)


def get(frames, name, dest):
    frames.send(b"G", string(name) + struct.pack(">Q", 0) + bytes(32))
    body = frames.expect(b"F")
    size = body.u64()
    digest = body.raw32()
    offset = body.u64()
    if offset != 0:
        raise ProtocolError("asked from byte 0, the server starts at %d" % offset)
    hasher = hashlib.sha256()
    received = 0
    with open(dest, "wb") as out:
        while received < size:
            data = frames.expect(b"D").data
            received += len(data)
            if received > size:
                raise ProtocolError("more data than the size announced")
            hasher.update(data)
            out.write(data)
    if hasher.digest() != digest:
        raise ProtocolError("the data does not have the announced SHA-256")
    say("received", name, size, digest.hex())


def put(frames, src, name):
    with open(src, "rb") as f:
        data = f.read()
    # PUT carries the size and the flags; the digest follows the data (TRAILER).
    frames.send(b"U", string(name) + struct.pack(">Q", len(data)) + b"\0")
    offset = frames.expect(b"R").u64()
    if offset != 0:
        raise ProtocolError("a plain upload resumed at byte %d" % offset)
    hasher = hashlib.sha256()
    for at in range(0, len(data), CHUNK):
        hasher.update(data[at:at + CHUNK])
        frames.send(b"D", data[at:at + CHUNK])
    digest = hasher.digest()
    frames.send(b"T", digest)
    body = frames.expect(b"S")
    size = body.u64()
    stored = body.raw32()
    previous = body.string()
    if (size, stored) != (len(data), digest):
        raise ProtocolError("the server stored another size or digest")
    say("stored", name, size, stored.hex(), previous)


def say(*fields):
    print("\t".join(str(f) for f in fields), flush=True)


def main(argv):
    address, user, password = argv[1], argv[2], argv[3]
    host, port = address.rsplit(":", 1)
    commands = argv[4:]
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        frames = Frames(sock)
        try:
            login(frames, user, password)
            say("welcome")
            while commands:
                command = commands.pop(0)
                if command == "ls":
                    ls(frames)
                elif command == "get":
                    get(frames, commands.pop(0), commands.pop(0))
                elif command == "put":
                    put(frames, commands.pop(0), commands.pop(0))
                else:
                    raise ProtocolError("unknown command %r" % command)
        except Refused as e:
            say("error", e.code, e.message)
            return 3
        except ProtocolError as e:
            print("protocol error: %s" % e, file=sys.stderr, flush=True)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
