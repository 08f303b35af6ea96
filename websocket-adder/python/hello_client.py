# The slide's "WebSocket - Exemplo 1", Client.py, ported to the current
# `websockets` API (asyncio.run and websockets.asyncio.client.connect; the
# slide's asyncio.get_event_loop().run_until_complete is gone from Python).
# The one addition: the URL may be given as the first argument, so the tests
# can point it at a free port; without one it is the slide's.
import asyncio
import sys

from websockets.asyncio.client import connect

URL = sys.argv[1] if len(sys.argv) > 1 else "ws://localhost:8765"


async def hello():
    async with connect(URL) as websocket:
        name = input("Qual seu nome? ")

        await websocket.send(name)
        print(f"> {name}")

        greeting = await websocket.recv()
        print(f"< {greeting}")


asyncio.run(hello())
