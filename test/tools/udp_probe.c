/* SPDX-License-Identifier: MIT */
/*
 * udp_probe - send a datagram and print the answer; used by the tests, the
 * demo and the start-up benchmark to wait for a UDP service by polling.
 *   udp_probe [-w DEADLINE_MS] [-i INTERVAL_MS] [-q] HOST PORT MESSAGE
 *   udp_probe -F      print a UDP port that is free on 127.0.0.1 right now
 * Resends every INTERVAL_MS (default 20) until an answer arrives or
 * DEADLINE_MS (default 2000) passes. Exit 0 with the answer on stdout, 1 on
 * timeout, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long deadline = 2000, interval = 20;
	int quiet = 0, opt;
	while ((opt = getopt(argc, argv, "w:i:qF")) != -1) {
		switch (opt) {
		case 'F': {
			struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			socklen_t sl = sizeof(sin);
			int s = socket(AF_INET, SOCK_DGRAM, 0);
			if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
			    getsockname(s, (struct sockaddr *)&sin, &sl) < 0)
				return 2;
			printf("%u\n", ntohs(sin.sin_port));
			close(s);
			return 0;
		}
		case 'w': deadline = atol(optarg); break;
		case 'i': interval = atol(optarg); break;
		case 'q': quiet = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: udp_probe [-w MS] [-i MS] [-q] HOST PORT MESSAGE\n");
		return 2;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	if (getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai)) {
		fprintf(stderr, "udp_probe: bad address %s port %s\n", argv[optind], argv[optind + 1]);
		return 2;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("udp_probe");
		return 2;
	}
	freeaddrinfo(ai);
	const char *msg = argv[optind + 2];
	long long end = now_ms() + deadline;
	char buf[2048];
	while (now_ms() < end) {
		/* ECONNREFUSED from an earlier send just means: not listening yet */
		if (send(fd, msg, strlen(msg), 0) < 0) {
			usleep((useconds_t)interval * 1000);
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)interval) == 1) {
			ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
			if (n >= 0) {
				buf[n] = '\0';
				if (!quiet)
					printf("%s\n", buf);
				return 0;
			}
		}
	}
	if (!quiet)
		fprintf(stderr, "udp_probe: no answer from %s port %s within %ld ms\n", argv[optind],
			argv[optind + 1], deadline);
	return 1;
}
