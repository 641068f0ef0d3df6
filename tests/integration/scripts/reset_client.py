# Connects, checks an echo, then waits on the connection: the server's node
# is crashed meanwhile, and the read must end with ECONNRESET.
import socket, sys, time
time.sleep(0.5)
c = socket.create_connection((sys.argv[1], 7100))
c.sendall(b"ping\n")
assert c.recv(100) == b"ping\n"
try:
    d = c.recv(100)
    print("read returned", d)
except ConnectionResetError:
    print("reset as expected at", round(time.monotonic(), 3))
