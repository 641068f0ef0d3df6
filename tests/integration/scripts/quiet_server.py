# Accepts on 7201 and never writes (for the SO_RCVTIMEO check).
import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], 7201))
s.listen(4)
c, _ = s.accept()
time.sleep(60)
