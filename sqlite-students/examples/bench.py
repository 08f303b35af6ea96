# The benchmark's Python side: the same SQL as the Rust repository, run by
# Python's standard sqlite3 module. Called by examples/bench.rs:
#   python3 bench.py DIR ROWS
# (one by one with the rollback journal runs ROWS / 10: each commit there
# costs several syncs)
# prints one JSON object with the figures.
import json
import os
import sqlite3
import sys
import time

SITUACOES = ['Cursando', 'Formado', 'Trancamento', 'Desistiu']
CREATE_TABLE = ("CREATE TABLE IF NOT EXISTS Alunos(Nome TEXT, Matricula REAL, "
                "Idade INTEGER, Ingresso INTEGER, Situacao TEXT)")
CREATE_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS Alunos_Matricula ON Alunos(Matricula)"
EXISTS = "SELECT 1 FROM Alunos WHERE Matricula = ? LIMIT 1"
INSERT = ("INSERT INTO Alunos (Nome, Matricula, Idade, Ingresso, Situacao) "
          "VALUES (?, ?, ?, ?, ?)")
SELECT = ("SELECT rowid, Nome, Matricula, Idade, Ingresso, Situacao FROM Alunos "
          "ORDER BY rowid")


def student(i):
    return (f'Aluno Maísa {i}', 10_000_000 + i, 18 + i % 50, 2000 + i % 25,
            SITUACOES[i % 4])


def open_db(path, journal, synchronous='FULL'):
    conn = sqlite3.connect(path, isolation_level=None)  # we say BEGIN/COMMIT
    conn.execute(f'PRAGMA journal_mode = {journal}')
    conn.execute(f'PRAGMA synchronous = {synchronous}')
    conn.execute(CREATE_TABLE)
    conn.execute(CREATE_INDEX)
    return conn


def insert(conn, rows, one_transaction):
    """As the repository does: check the matricula, then insert."""
    if one_transaction:
        conn.execute('BEGIN IMMEDIATE')
    for i in range(rows):
        s = student(i)
        if not one_transaction:
            conn.execute('BEGIN IMMEDIATE')
        if conn.execute(EXISTS, (s[1],)).fetchone() is not None:
            raise SystemExit(f'duplicate {s[1]}')
        conn.execute(INSERT, s)
        if not one_transaction:
            conn.execute('COMMIT')
    if one_transaction:
        conn.execute('COMMIT')


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main():
    directory, rows = sys.argv[1], int(sys.argv[2])
    out = {}
    conn = open_db(os.path.join(directory, 'py-batch.db'), 'WAL')
    out['batch'] = rows / timed(lambda: insert(conn, rows, True))
    lists = sorted(timed(lambda: conn.execute(SELECT).fetchall()) for _ in range(5))
    out['list_ms'] = lists[2] * 1000
    conn.close()
    # The same runs as bench.rs: journal mode, synchronous, rows.
    for journal, synchronous, n in [('WAL', 'FULL', rows), ('WAL', 'NORMAL', rows),
                                    ('DELETE', 'FULL', max(rows // 10, 1))]:
        path = os.path.join(directory, f'py-single-{journal}-{synchronous}.db')
        conn = open_db(path, journal, synchronous)
        key = f'single_{journal}_{synchronous}'.lower()
        out[key] = n / timed(lambda: insert(conn, n, False))
        conn.close()
    print(json.dumps(out))


main()
