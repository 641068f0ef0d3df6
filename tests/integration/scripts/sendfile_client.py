# Receives the file and checks it; then a read with SO_RCVTIMEO on a quiet
# connection must time out after the virtual timeout.
import socket, sys, time, struct
time.sleep(0.2)
c = socket.create_connection((sys.argv[1], 7200))
got = bytearray()
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
print("received", len(got), "intact", bytes(got) == bytes(range(256)) * 4096)
q = socket.socket()
q.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 2, 0))
q.connect((sys.argv[2], 7201))
t = time.monotonic()
try:
    q.recv(10)
    print("no timeout")
except (BlockingIOError, socket.timeout, TimeoutError):
    print("timed out after %.1f s" % (time.monotonic() - t))
