# The slide's "WebSocket - Exemplo 1", Server.py, ported to the current
# `websockets` API: a handler takes only the connection (no `path`), and
# `serve` is an async context manager run by asyncio.run. The port may be
# given as the first argument (0: any free one); the server then prints
# `listening on HOST:PORT` first, as every server of this workspace does.
import asyncio
import sys

from websockets.asyncio.server import serve

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8765


async def hello(websocket):
    name = await websocket.recv()
    print(f"< {name}", flush=True)

    greeting = f"Ola {name}!"

    await websocket.send(greeting)
    print(f"> {greeting}", flush=True)


async def main():
    async with serve(hello, "localhost", PORT) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        await server.serve_forever()


asyncio.run(main())
