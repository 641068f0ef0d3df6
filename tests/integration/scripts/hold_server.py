# A server that accepts connections and echoes each line it reads; used by
# the fault tests (a crashed server's peers must see a reset).
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7100))
s.listen(8)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(100)
        if not d:
            break
        c.sendall(d)
    c.close()
