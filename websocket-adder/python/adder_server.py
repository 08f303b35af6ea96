# The slide's exercise in Python: "A partir do código do exemplo 2, criar um
# servidor capaz de receber dois números, somar, e apresentar no browser a
# resposta." Example 2's server (websockets.serve on 127.0.0.1:5678, one
# handler per connection, a loop that sends) with the loop turned around:
# it receives two numbers and sends their sum, in the protocol of
# websocket-adder's /add (`3 4`, `3,4`, `3;4` -> `7`; {"a":3,"b":4} ->
# {"sum":7}; anything else -> `error: ...`). Decimal, not float, so that
# 0.1 + 0.2 is 0.3, and in a context wide enough that no sum is rounded
# (decimal's default keeps 28 digits: 1e28 + 0.1 would lose its 0.1).
#
# Ported to the current `websockets` API. The port may be given as the first
# argument, or as `--listen HOST:PORT` as the crate's tests start a server
# they grade (0: any free port); the server prints `listening on HOST:PORT`.
import asyncio
import json
import re
import sys
from decimal import Context, Decimal, InvalidOperation

from websockets.asyncio.server import serve

if "--listen" in sys.argv:
    PORT = int(sys.argv[sys.argv.index("--listen") + 1].rsplit(":", 1)[1])
else:
    PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5678

# Every digit of a sum of two numbers within websocket-adder's bounds (100
# significant digits, 1e-999 to 1e+1000): at most 2,099 digits.
EXACT = Context(prec=2200)


def number(text):
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number")
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return value


def show(value):
    # 7, not 7.0 or 7E+0; 0.3, not 3E-1.
    text = format(value.normalize(EXACT), "f")
    return "0" if text == "-0" else text


def add(message):
    if message.lstrip().startswith("{"):
        try:
            request = json.loads(message, parse_float=str, parse_int=str)
            total = EXACT.add(number(request["a"]), number(request["b"]))
        except (ValueError, KeyError, TypeError) as e:
            return json.dumps({"error": str(e)})
        return '{"sum":%s}' % show(total)
    words = [w for w in re.split(r"\s*[,;]\s*|\s+", message.strip()) if w]
    try:
        numbers = [number(w) for w in words]
    except ValueError as e:
        return f"error: {e}"
    if len(numbers) != 2:
        return f"error: expected two numbers, got {len(numbers)}"
    return show(EXACT.add(numbers[0], numbers[1]))


async def adder(websocket):
    async for message in websocket:
        if isinstance(message, bytes):
            await websocket.send("error: binary messages are not understood")
        else:
            await websocket.send(add(message))


async def main():
    async with serve(adder, "127.0.0.1", PORT) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        await server.serve_forever()


asyncio.run(main())
