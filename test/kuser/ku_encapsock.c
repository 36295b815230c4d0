/* SPDX-License-Identifier: MIT */
/*
 * ku_encapsock PORT - the kernel side's ESP-in-UDP receiver for the UML
 * wire test: a UDP socket on PORT with UDP_ENCAP_ESPINUDP, which is what
 * makes Linux decapsulate RFC 3948 packets (an IKE daemon or kernel-xfrm
 * would own it). Prints "ready", then sleeps until killed.
 */
#include <arpa/inet.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int s = socket(AF_INET, SOCK_DGRAM, 0), t = UDP_ENCAP_ESPINUDP;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(s, IPPROTO_UDP, UDP_ENCAP, &t, sizeof(t)) < 0) {
		perror("ku_encapsock");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
