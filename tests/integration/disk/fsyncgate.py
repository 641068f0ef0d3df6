# fsyncgate.py — boot 1: "old" made durable; then "new" written over it and
# its fsync fails (a disk fault); the retried fsync succeeds, as on Linux,
# without making "new" durable.  Power goes while it sleeps.  Boot 2 prints
# what the file holds.
import os, time
if os.environ["SIMSUP_BOOT"] == "1":
    fd = os.open("f", os.O_RDWR | os.O_CREAT, 0o644)
    d = os.open(".", os.O_RDONLY)
    os.write(fd, b"old\n"); os.fsync(fd); os.fsync(d)
    time.sleep(2)
    os.pwrite(fd, b"new\n", 0)
    for i in range(2):
        try:
            os.fsync(fd); print("fsync ok")
        except OSError as e:
            print("fsync", e.strerror)
    print("reads", os.pread(fd, 4, 0).decode().strip())
    time.sleep(100)
else:
    print("after power:", open("f").read().strip())
