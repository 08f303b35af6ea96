"""The course's client of "Rest API Calc", written from the slide.

Slide "APIS na AWS Lambda - Exercício de implementação": ask for the
operation and two values, GET {API}/{op}/{a}/{b}, print the decoded JSON
(as Python prints a dict: {'A multiplicação': 40}), then "Fim...".
Standard library only (urllib instead of requests). The echo of the
operation is print('operação: ', operacao), as issue 13 quotes the slide's
run: the space inside the string and the one print() puts between its
arguments make two.

    python3 cliente_chalice.py [API_URL]

API_URL defaults to $CALC_API_URL, then to the local server
http://127.0.0.1:8000/api (the course's deployment was
https://mrl0vy3w26.execute-api.sa-east-1.amazonaws.com/api).
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

api = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "CALC_API_URL", "http://127.0.0.1:8000/api")

operacao = input("Informe a operação: [soma] [sub] [div] [mult]")
print("operação: ", operacao)
valor1 = input("Informe o valor 1: ")
valor2 = input("Informe o valor 2: ")

# Each value is one path segment: quote "/" too (safe="").
segments = [urllib.parse.quote(s, safe="") for s in (operacao, valor1, valor2)]
url = "/".join([api.rstrip("/")] + segments)
try:
    with urllib.request.urlopen(url, timeout=10) as response:
        print(json.loads(response.read()))
except urllib.error.HTTPError as error:
    # 4xx and 5xx carry a JSON body too: {"Code": ..., "Message": ...}.
    print(error.code, json.loads(error.read()))
print("Fim...")
