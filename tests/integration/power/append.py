# append.py — boot 1: a line made durable by fsync (file and directory), then a line only written;
# power goes while it sleeps.  Later boots print what the file holds.
import os, time
if os.environ["SIMSUP_BOOT"] == "1":
    fd = os.open("log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, b"durable\n")
    os.fsync(fd)
    d = os.open(".", os.O_RDONLY)  # and its name, as careful programs do
    os.fsync(d)
    os.write(fd, b"written " * 200 + b"\n")
    time.sleep(100)
else:
    data = open("log", "rb").read() if os.path.exists("log") else b"(no log)"
    print("log:", data[:7].decode(), len(data))
