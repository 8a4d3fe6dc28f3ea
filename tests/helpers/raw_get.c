// SPDX-License-Identifier: MIT
/*
 * raw_get IP PORT: an HTTP GET to IP:PORT (numeric, v4 or v6) with the
 * connect made by syscall(SYS_connect), as Go and other programs that skip
 * the C library do; the reply goes to stdout.  Built twice: dynamically
 * (the raw-syscall case) and statically (raw_get_static: a static program
 * the library cannot enter).  Exit 0 when a reply came, 1 otherwise.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char buf[4096];
	socklen_t len;
	ssize_t n, total = 0;
	int fd, port;

	if (argc != 3)
		return 2;
	port = atoi(argv[2]);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || syscall(SYS_connect, fd, &ss, len) != 0) {
		perror("raw_get: connect");
		return 1;
	}
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		total += n;
	}
	close(fd);
	return total > 0 ? 0 : 1;
}
