/* SPDX-License-Identifier: MIT */
/*
 * gai_probe NAME [SERVICE]: resolve the way a careless program does --
 * getaddrinfo() with NULL hints (where torsocks leaked a DNS query) -- and
 * print one line per answer: "addr ADDRESS SOCKTYPE".  Then the reverse
 * lookup of the first answer ("name NAME", via getnameinfo) and the
 * gethostbyname() answer ("hostent ADDRESS").  Exit 0 on success, 1 when
 * the lookup failed (the error is printed: "error MESSAGE").
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct addrinfo *res, *ai;
	char host[NI_MAXHOST];
	struct hostent *he;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: gai_probe NAME [SERVICE]\n");
		return 2;
	}
	rc = getaddrinfo(argv[1], argc > 2 ? argv[2] : NULL, NULL, &res);
	if (rc != 0) {
		printf("error %s\n", gai_strerror(rc));
		return 1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
				NULL, 0, NI_NUMERICHOST) != 0)
			strcpy(host, "?");
		printf("addr %s %d\n", host, ai->ai_socktype);
	}
	if (getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host), NULL,
			0, NI_NAMEREQD) == 0)
		printf("name %s\n", host);
	freeaddrinfo(res);
	he = gethostbyname(argv[1]);
	if (he != NULL && he->h_addrtype == AF_INET &&
	    inet_ntop(AF_INET, he->h_addr_list[0], host, sizeof(host)))
		printf("hostent %s\n", host);
	return 0;
}
