# rename.py WAIT — boot 1: a file fsynced, then renamed into place; its
# directory is never fsynced.  WAIT seconds later it sleeps until the power
# goes.  Later boots print which names hold what.
import os, sys, time
if os.environ["SIMSUP_BOOT"] == "1":
    fd = os.open("tmp", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"new\n")
    os.fsync(fd)
    os.close(fd)
    os.rename("tmp", "data")
    time.sleep(float(sys.argv[1]))
    time.sleep(100)
else:
    def show(n):
        return open(n).read().strip() if os.path.exists(n) else "absent"
    print("data:", show("data"), "tmp:", show("tmp"))
