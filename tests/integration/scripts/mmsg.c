/* sendmmsg then recvmmsg(MSG_WAITFORONE) of three datagrams on one node:
 * all three, in order (tests/integration/test_foundation.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9999) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	bind(a, (struct sockaddr *)&sa, sizeof sa);
	connect(b, (struct sockaddr *)&sa, sizeof sa);
	char m[3][8] = { "one", "two", "three" };
	struct iovec iv[3]; struct mmsghdr mv[3];
	memset(mv, 0, sizeof mv);
	for (int i = 0; i < 3; i++) { iv[i].iov_base = m[i]; iv[i].iov_len = strlen(m[i]); mv[i].msg_hdr.msg_iov = &iv[i]; mv[i].msg_hdr.msg_iovlen = 1; }
	printf("sent %d\n", sendmmsg(b, mv, 3, 0));
	char r[3][16]; struct iovec ri[3]; struct mmsghdr rv[3];
	memset(rv, 0, sizeof rv);
	for (int i = 0; i < 3; i++) { ri[i].iov_base = r[i]; ri[i].iov_len = 16; rv[i].msg_hdr.msg_iov = &ri[i]; rv[i].msg_hdr.msg_iovlen = 1; }
	int n = recvmmsg(a, rv, 3, MSG_WAITFORONE, NULL);
	printf("received %d:", n);
	for (int i = 0; i < n; i++) printf(" %.*s", (int)rv[i].msg_len, r[i]);
	printf("\n");
	return 0;
}
