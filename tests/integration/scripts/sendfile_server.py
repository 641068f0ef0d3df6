# Serves a 1 MB file with socket.sendfile (os.sendfile: a file to a virtual
# TCP socket) to whoever connects, then closes.
import os, socket, sys
with open("blob", "wb") as f:
    f.write(bytes(range(256)) * 4096)
s = socket.socket()
s.bind((sys.argv[1], 7200))
s.listen(4)
c, _ = s.accept()
with open("blob", "rb") as f:
    sent = c.sendfile(f)
print("sent", sent)
c.close()
