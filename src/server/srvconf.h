/* SPDX-License-Identifier: MIT */
/*
 * socksifyd configuration: the config file (libconfuse) plus command-line
 * overrides, compiled into an immutable, reference-counted struct.  A
 * session keeps a reference to the config it started with, so a SIGHUP
 * reload swaps the current pointer and the old config lives until its last
 * session ends.  Loop thread only (reference counts are plain ints).
 */
#ifndef SOCKSIFY_SERVER_SRVCONF_H
#define SOCKSIFY_SERVER_SRVCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/acl.h"
#include "server/auth.h"
#include "server/session.h"

#define SRV_LISTEN_MAX 16
#define SRV_CLI_USERS_MAX 64
#define SRV_ERR_MAX 512
#define SRV_WORKERS_MAX 64

/* Defaults (documented in socksifyd(8)). */
#define SRV_DEFAULT_LISTEN "127.0.0.1:1080"
/* Read when no -f is given and it exists. */
#define SRV_DEFAULT_CONFIG SYSCONFDIR "/socksifyd.conf"
#define SRV_DEFAULT_HANDSHAKE_TIMEOUT 10
#define SRV_DEFAULT_CONNECT_TIMEOUT 10
#define SRV_DEFAULT_IDLE_TIMEOUT 3600
#define SRV_DEFAULT_UDP_TIMEOUT 60
#define SRV_DEFAULT_BIND_TIMEOUT 120
#define SRV_DEFAULT_MAX_CLIENTS 16384
#define SRV_DEFAULT_MAX_PIPES 256
#define SRV_DEFAULT_PIPE_SIZE (1024 * 1024)
#define SRV_DEFAULT_POLL_SPIN 50 /* microseconds */
#define SRV_POLL_SPIN_MAX 1000
#define SRV_CC_NAME_MAX 16 /* TCP_CA_NAME_MAX, with the NUL */
#define SRV_STR_(x) #x
#define SRV_STR(x) SRV_STR_(x)

struct srv_listen {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* What the command line says; it overrides or adds to the file. */
struct srv_cli {
	const char *config;		    /* -f */
	const char *listen[SRV_LISTEN_MAX]; /* -l, replaces the file's */
	size_t nlisten;
	const char *users[SRV_CLI_USERS_MAX]; /* -u USER:PASS, added */
	size_t nusers;
	const char *users_file; /* -U, replaces the file's */
	int debug;		/* -d, -1 = not given */
};

struct srvconf {
	int refs;
	char path[512]; /* "" without a file */
	struct srv_listen listen[SRV_LISTEN_MAX];
	size_t nlisten;
	bool has_external;
	struct sockaddr_storage external; /* port 0 */
	socklen_t external_len;
	struct sess_policy methods; /* auth methods, server preference */
	struct auth_db users;
	int handshake_timeout; /* seconds; 0 = none */
	int connect_timeout;
	int idle_timeout;
	int udp_timeout;
	int bind_timeout;
	int max_clients;
	int workers; /* event-loop processes (SO_REUSEPORT) */
	int max_pipes;
	int pipe_size;
	int poll_spin;			   /* microseconds, loop_set_spin */
	char loopback_cc[SRV_CC_NAME_MAX]; /* lo_cc.h; "" = the system's */
	bool allow_open;
	/* fastopen: TCP Fast Open on the listeners (default true); the
	 * kernel also needs the server bit (2) of net.ipv4.tcp_fastopen. */
	bool fastopen;
	int debug;
	char log[256];
	struct acl_rule *rules;
	size_t nrules;
	struct acl_policy acl; /* rules + derived flags */
};

/*
 * Load @cli->config (if any), apply @cli, and check the result (safe
 * defaults: a listener that is not loopback needs authentication, a rule
 * with `from`, or allow_open).  Returns 0 with a config holding one
 * reference, or -1 with a message in @err ("FILE:LINE: ..." for file
 * errors).
 */
int srvconf_load(const struct srv_cli *cli, struct srvconf **out, char *err,
		 size_t errlen);
/* Same with the config text in memory; @name stands for the file. */
int srvconf_load_buf(const char *text, const char *name,
		     const struct srv_cli *cli, struct srvconf **out, char *err,
		     size_t errlen);

struct srvconf *srvconf_ref(struct srvconf *c);
void srvconf_unref(struct srvconf *c);

#endif
