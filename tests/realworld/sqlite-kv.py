# sqlite-kv.py SYNCHRONOUS JOURNAL_MODE — kvstore's protocol (ROLE, SET, GET
# on port 7000; examples/kvclient.c checks it) over SQLite from Debian
# (Python's sqlite3 module, libsqlite3): every SET is one transaction,
# answered "OK" once COMMIT returns.  With synchronous=OFF SQLite hands its
# writes to the OS and never waits for the disk; with FULL it fsyncs before
# COMMIT returns.
import selectors, socket, sqlite3, sys

sync, journal = sys.argv[1], sys.argv[2]
db = sqlite3.connect("kv.db", isolation_level=None)
db.execute("PRAGMA journal_mode=%s" % journal)
db.execute("PRAGMA synchronous=%s" % sync)
db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
print("sqlite-kv: %d keys, synchronous=%s journal_mode=%s" %
      (db.execute("SELECT count(*) FROM kv").fetchone()[0], sync, journal), flush=True)

def answer(line):
    w = line.split()
    if w == ["ROLE"]:
        return "leader"
    if len(w) == 3 and w[0] == "SET":
        db.execute("BEGIN")
        db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (w[1], w[2]))
        db.execute("COMMIT")
        return "OK 0"
    if len(w) == 2 and w[0] == "GET":
        row = db.execute("SELECT v FROM kv WHERE k = ?", (w[1],)).fetchone()
        return "VAL " + row[0] if row else "NONE"
    return "ERR unknown command"

sel = selectors.DefaultSelector()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", 7000))
ls.listen(16)
sel.register(ls, selectors.EVENT_READ)
bufs = {}
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept()
            bufs[c] = b""
            sel.register(c, selectors.EVENT_READ)
            continue
        data = s.recv(4096)
        if not data:
            sel.unregister(s)
            del bufs[s]
            s.close()
            continue
        bufs[s] += data
        while b"\n" in bufs[s]:
            line, bufs[s] = bufs[s].split(b"\n", 1)
            s.sendall((answer(line.decode()) + "\n").encode())
