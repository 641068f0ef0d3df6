# Echoes a line every 100 ms for 6 s and reports how long each took: during
# a partition the traffic is held, not lost, and flows again after the heal.
import socket, sys, time
time.sleep(0.5)
c = socket.create_connection((sys.argv[1], 7100))
slowest = 0.0
for i in range(60):
    t = time.monotonic()
    c.sendall(b"%d\n" % i)
    assert c.recv(100) == b"%d\n" % i
    slowest = max(slowest, time.monotonic() - t)
    time.sleep(0.1)
print("all 60 echoed; slowest %.1f s" % slowest)
