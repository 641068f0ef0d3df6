# EPOLLRDHUP after the peer's shutdown(SHUT_WR), MSG_PEEK, and an EPOLLEXCLUSIVE
# registration on a virtual listener (test_foundation.c).
import select, socket, sys, time
if sys.argv[1] == "server":
    s = socket.socket(); s.bind((sys.argv[2], 7300)); s.listen(1)
    c, _ = s.accept()
    ep = select.epoll()
    ep.register(c.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
    ep2 = select.epoll(); ep2.register(s.fileno(), select.EPOLLIN | select.EPOLLEXCLUSIVE)
    ev = ep.poll(5)
    print("events", [(bool(e & select.EPOLLRDHUP), bool(e & select.EPOLLIN)) for _, e in ev])
    print("peek", c.recv(5, socket.MSG_PEEK), "read", c.recv(5), "then", c.recv(5))
else:
    time.sleep(0.2)
    c = socket.create_connection((sys.argv[2], 7300))
    c.sendall(b"hello"); c.shutdown(socket.SHUT_WR); time.sleep(1)
