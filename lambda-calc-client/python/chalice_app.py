"""A stand-in for the course's Chalice app, with the standard library only.

The course's "Rest API Calc" is a Chalice app deployed to API Gateway and
AWS Lambda in the stage `api`. Its source is not in the slides; its four
routes (`/soma/{a}/{b}`, `/sub/...`, `/mult/...`, `/div/...`) and the names
of its results are (issue 13 quotes them: `A soma: `, `A subtração:`,
`A multiplicação`, `A Divisão`, punctuation and capital as deployed).
Written the way Chalice's tutorial writes such an app, it is the table
`ROUTES` and the view function `calc` below. Chalice itself is not in the
standard library, so this file also mimics the small part of Chalice and
API Gateway that the app uses:

* the four routes, served under the stage, `/api/soma/{a}/{b}`, ...; any
  other path or method gets API Gateway's own 403 `{"message":"Missing
  Authentication Token"}`;
* the JSON Chalice writes, `json.dumps(body, separators=(',', ':'))`, which
  escapes non-ASCII (`{"A multiplica\\u00e7\\u00e3o":40}`);
* Chalice's error shape, in which the code is repeated in the message:
  `{"Code":"BadRequestError","Message":"BadRequestError: division by zero"}`.

It computes the way Python does: int() or float(), so 4/2 is 2.0, 0.1+0.2
is 0.30000000000000004, and float() accepts "nan" and "inf", which
json.dumps then writes as NaN and Infinity: not JSON. The Rust server
refuses those values; this app shows why.

    python3 chalice_app.py [--listen HOST:PORT]     (default 127.0.0.1:8000)

Prints `listening on HOST:PORT` once ready, like the Rust server.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class ChaliceViewError(Exception):
    STATUS_CODE = 500

    def __init__(self, msg=""):
        # What Chalice does, hence the repeated code in "Message".
        super().__init__(self.__class__.__name__ + ": %s" % msg)


class BadRequestError(ChaliceViewError):
    STATUS_CODE = 400


# --- the app ---------------------------------------------------------------

# @app.route('/soma/{a}/{b}') and the three others: the route, the name of
# the result as the deployed API writes it, the operation.
ROUTES = {
    "soma": ("A soma: ", lambda a, b: a + b),
    "sub": ("A subtração:", lambda a, b: a - b),
    "mult": ("A multiplicação", lambda a, b: a * b),
    "div": ("A Divisão", lambda a, b: a / b),
}


def number(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise BadRequestError("%r is not a number" % text)


def calc(op, a, b):
    key, function = ROUTES[op]
    try:
        return {key: function(number(a), number(b))}
    except ZeroDivisionError:
        raise BadRequestError("division by zero")
    except OverflowError:
        raise BadRequestError("the result is too large")


# --- what Chalice and API Gateway do around it -------------------------------

STAGE = "api"


# API Gateway's answer to a method and path no route takes, byte for byte.
MISSING_TOKEN = b'{"message":"Missing Authentication Token"}'


def dispatch(path):
    parts = path.split("/")
    if len(parts) != 5 or parts[0] != "" or parts[1] != STAGE \
            or parts[2] not in ROUTES:
        return 403, None
    op, a, b = (unquote(p) for p in parts[2:])
    try:
        return 200, calc(op, a, b)
    except ChaliceViewError as e:
        return e.STATUS_CODE, {"Code": e.__class__.__name__, "Message": str(e)}
    except Exception:
        return 500, {"Code": "InternalServerError",
                     "Message": "An internal server error occurred."}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway offers
    # Headers and body are two writes; without TCP_NODELAY the second waits
    # for the client's delayed ACK (40 ms on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True

    def do_GET(self):
        status, body = dispatch(urlsplit(self.path).path)
        if body is None:
            self.missing_token()
        else:
            self.reply(status, json.dumps(body, separators=(",", ":")).encode())

    def missing_token(self):
        self.reply(403, MISSING_TOKEN,
                   [("x-amzn-ErrorType", "MissingAuthenticationTokenException")])

    # The routes are GET only: API Gateway has no other method for them.
    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = missing_token

    def reply(self, status, data, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # quiet, like the Rust server's default


def main():
    listen = "127.0.0.1:8000"
    if len(sys.argv) == 3 and sys.argv[1] == "--listen":
        listen = sys.argv[2]
    host, _, port = listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    print("listening on %s:%d" % server.server_address[:2], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
