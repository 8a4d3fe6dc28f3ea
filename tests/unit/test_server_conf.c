/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/server/srvconf.c and auth.c: config fixtures (valid,
 * and invalid ones whose first line says "# expect: LINE: text"), command
 * line overrides, the safe-default check, users files and password checks.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"
#include "server/srvconf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char HASH6[] =
	"$6$c0ckTestSalt$U0wud1zHDj/Tiu/TkmOZaWiUVDALmK4KBuS7PdK1dJbzbU9C/"
	"h5QEGDULSs/zdp5Lp0PKzX/38zrlX5tKCRuF."; /* hunter2 */

static const char *fixture(const char *name)
{
	static char path[1024];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/fixtures/server/%s",
		 top ? top : ".", name);
	return path;
}

static struct srvconf *load_ok(const char *text, const struct srv_cli *cli)
{
	struct srvconf *c = NULL;
	char err[SRV_ERR_MAX] = "";

	ck_assert_msg(srvconf_load_buf(text, "t.conf", cli, &c, err,
				       sizeof(err)) == 0,
		      "config rejected: %s", err);
	return c;
}

static void load_bad(const char *text, const char *want)
{
	struct srvconf *c = NULL;
	char err[SRV_ERR_MAX] = "";

	ck_assert_int_eq(
		srvconf_load_buf(text, "t.conf", NULL, &c, err, sizeof(err)),
		-1);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

START_TEST(t_defaults)
{
	struct srvconf *c = load_ok("", NULL);
	char buf[64];

	ck_assert_uint_eq(c->nlisten, 1);
	ck_assert_str_eq(net_sa_format((struct sockaddr *)&c->listen[0].ss, buf,
				       sizeof(buf)),
			 "127.0.0.1:1080");
	ck_assert_int_eq(c->methods.nmethods, 1);
	ck_assert_int_eq(c->methods.methods[0], 0);
	ck_assert_int_eq(c->handshake_timeout, 10);
	ck_assert_int_eq(c->idle_timeout, 3600);
	ck_assert_int_eq(c->udp_timeout, 60);
	ck_assert_int_eq(c->max_clients, SRV_DEFAULT_MAX_CLIENTS);
	ck_assert_int_eq(c->workers, 1);
	ck_assert_int_eq(c->poll_spin, SRV_DEFAULT_POLL_SPIN);
	ck_assert_str_eq(c->loopback_cc, "reno");
	ck_assert(!c->acl.public_listener);
	ck_assert(!c->acl.auth_required);
	ck_assert_uint_eq(c->nrules, 0);
	srvconf_unref(c);
}
END_TEST

START_TEST(t_good_fixture)
{
	struct srv_cli cli = {.config = fixture("good.conf"), .debug = -1};
	struct srvconf *c = NULL;
	char err[SRV_ERR_MAX] = "", buf[64];

	ck_assert_msg(srvconf_load(&cli, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(c->nlisten, 2);
	ck_assert_str_eq(net_sa_format((struct sockaddr *)&c->listen[1].ss, buf,
				       sizeof(buf)),
			 "[::1]:0");
	ck_assert(c->has_external);
	ck_assert_int_eq(c->methods.nmethods, 2);
	ck_assert_int_eq(c->methods.methods[0], 2);
	ck_assert_int_eq(c->methods.methods[1], 0);
	ck_assert(!c->acl.auth_required);
	ck_assert_uint_eq(c->users.n, 2);
	ck_assert_int_eq(c->handshake_timeout, 5);
	ck_assert_int_eq(c->connect_timeout, 7);
	ck_assert_int_eq(c->idle_timeout, 0);
	ck_assert_int_eq(c->udp_timeout, 30);
	ck_assert_int_eq(c->bind_timeout, 60);
	ck_assert_int_eq(c->max_clients, 100);
	ck_assert_int_eq(c->max_pipes, 8);
	ck_assert_int_eq(c->workers, 2);
	ck_assert_int_eq(c->pipe_size, 262144);
	ck_assert_int_eq(c->poll_spin, 20);
	ck_assert_str_eq(c->loopback_cc, "cubic");
	ck_assert_int_eq(c->debug, 2);
	ck_assert_uint_eq(c->nrules, 3);
	ck_assert(!c->rules[0].pass);
	ck_assert_int_eq(c->rules[0].line, 25);
	ck_assert_uint_eq(c->rules[0].nto, 2);
	ck_assert_int_eq(c->rules[0].to[1].kind, ACL_TARGET_GLOB);
	ck_assert(c->rules[1].pass);
	ck_assert_int_eq(c->rules[1].line, 30);
	ck_assert_uint_eq(c->rules[1].nfrom, 2);
	ck_assert_uint_eq(c->rules[1].ports.n, 3);
	ck_assert_uint_eq(c->rules[1].commands, 7);
	ck_assert_uint_eq(c->rules[1].nusers, 2);
	ck_assert_uint_eq(c->rules[1].versions, ACL_VER5);
	ck_assert_uint_eq(c->rules[1].ntimes, 2);
	ck_assert_int_eq(c->rules[2].line, 38);
	ck_assert_uint_eq(c->rules[2].versions, ACL_VER4);
	ck_assert(auth_verify(&c->users, "alice", 5, "secret", 6));
	srvconf_unref(c);
}
END_TEST

static const char *const bad_fixtures[] = {
	"bad-action.conf",   "bad-from.conf",	    "bad-to.conf",
	"bad-ports.conf",    "bad-command.conf",    "bad-version.conf",
	"bad-time.conf",     "bad-noaction.conf",   "bad-gssapi.conf",
	"bad-auth.conf",     "bad-key.conf",	    "bad-listen.conf",
	"bad-external.conf", "bad-timeout.conf",    "bad-user.conf",
	"bad-hash.conf",     "bad-nousers.conf",    "bad-open.conf",
	"bad-int.conf",	     "bad-maxclients.conf", "bad-brace.conf",
	"bad-string.conf",   "bad-workers.conf",    "bad-spin.conf",
	"bad-cc.conf",
};

START_TEST(t_bad_fixture)
{
	const char *path = fixture(bad_fixtures[_i]);
	struct srv_cli cli = {.config = path, .debug = -1};
	struct srvconf *c = NULL;
	char err[SRV_ERR_MAX] = "", first[256], want[1400], *line, *text;
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "missing fixture %s", path);
	ck_assert(fgets(first, sizeof(first), f) != NULL);
	fclose(f);
	first[strcspn(first, "\n")] = '\0';
	ck_assert_msg(strncmp(first, "# expect: ", 10) == 0, "%s", path);
	line = first + 10;
	text = strstr(line, ": ");
	ck_assert_ptr_nonnull(text);
	*text = '\0';
	text += 2;
	ck_assert_int_eq(srvconf_load(&cli, &c, err, sizeof(err)), -1);
	ck_assert_ptr_null(c);
	if (strcmp(line, "-") != 0) {
		snprintf(want, sizeof(want), "%s:%s: ", path, line);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
			      "error '%s' does not start with '%s'", err, want);
	}
	ck_assert_msg(strstr(err, text), "error '%s' lacks '%s'", err, text);
}
END_TEST

/* The shipped sample is a valid config, and gives the defaults. */
START_TEST(t_sample)
{
	static char path[1024];
	const char *top = getenv("top_srcdir");
	struct srv_cli cli = {.config = path, .debug = -1};
	struct srvconf *c = NULL;
	char err[SRV_ERR_MAX] = "";

	snprintf(path, sizeof(path), "%s/etc/socksifyd.conf", top ? top : ".");
	ck_assert_msg(srvconf_load(&cli, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(c->nlisten, 1);
	ck_assert_int_eq(c->handshake_timeout, SRV_DEFAULT_HANDSHAKE_TIMEOUT);
	ck_assert_int_eq(c->idle_timeout, SRV_DEFAULT_IDLE_TIMEOUT);
	ck_assert_int_eq(c->max_clients, SRV_DEFAULT_MAX_CLIENTS);
	ck_assert_int_eq(c->poll_spin, SRV_DEFAULT_POLL_SPIN);
	ck_assert_str_eq(c->loopback_cc, "reno");
	ck_assert_uint_eq(c->nrules, 0);
	srvconf_unref(c);
}
END_TEST

START_TEST(t_missing_file)
{
	struct srv_cli cli = {.config = "/nonexistent/socksifyd.conf",
			      .debug = -1};
	struct srvconf *c = NULL;
	char err[SRV_ERR_MAX] = "";

	ck_assert_int_eq(srvconf_load(&cli, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent/socksifyd.conf"), "%s", err);
}
END_TEST

START_TEST(t_cli_overrides)
{
	struct srv_cli cli = {.debug = 3};
	struct srvconf *c;
	char buf[64];

	cli.listen[0] = "[::1]:0";
	cli.listen[1] = "127.0.0.2:1081";
	cli.nlisten = 2;
	cli.users[0] = "bob:pw:with:colons";
	cli.nusers = 1;
	c = load_ok("listen = { \"127.0.0.1:9\" }\ndebug = 0\n", &cli);
	ck_assert_uint_eq(c->nlisten, 2);
	ck_assert_str_eq(net_sa_format((struct sockaddr *)&c->listen[1].ss, buf,
				       sizeof(buf)),
			 "127.0.0.2:1081");
	ck_assert_int_eq(c->debug, 3);
	/* -u turns authentication on by default. */
	ck_assert_int_eq(c->methods.nmethods, 1);
	ck_assert_int_eq(c->methods.methods[0], 2);
	ck_assert(c->acl.auth_required);
	ck_assert(auth_verify(&c->users, "bob", 3, "pw:with:colons", 14));
	srvconf_unref(c);

	/* -U file replaces users_file, users add up. */
	memset(&cli, 0, sizeof(cli));
	cli.debug = -1;
	cli.users_file = fixture("users.txt");
	c = load_ok("user \"dave\" { password = \"d\" }\n", &cli);
	ck_assert_uint_eq(c->users.n, 3);
	ck_assert(auth_verify(&c->users, "alice", 5, "hunter2", 7));
	ck_assert(auth_verify(&c->users, "bob", 3, "pw5", 3));
	ck_assert(auth_verify(&c->users, "dave", 4, "d", 1));
	srvconf_unref(c);
}
END_TEST

START_TEST(t_safe_defaults)
{
	struct srvconf *c;

	load_bad("listen = { \"0.0.0.0:1080\" }\n", "allow_open");
	load_bad("listen = { \"[::]:1080\" }\n", "refusing to listen on [::]");
	c = load_ok("listen = { \"0.0.0.0:1080\" }\nallow_open = true\n", NULL);
	ck_assert(c->acl.public_listener);
	srvconf_unref(c);
	c = load_ok("listen = { \"0.0.0.0:1080\" }\n"
		    "rule { action = \"pass\" from = \"192.0.2.0/24\" }\n",
		    NULL);
	srvconf_unref(c);
	c = load_ok("listen = { \"0.0.0.0:1080\" }\n"
		    "user \"a\" { password = \"b\" }\n",
		    NULL);
	ck_assert(c->acl.auth_required);
	srvconf_unref(c);
	/* auth = none with users is still an open proxy. */
	load_bad("listen = { \"0.0.0.0:1080\" }\nauth = { \"none\" }\n"
		 "user \"a\" { password = \"b\" }\n",
		 "refusing");
	load_bad("rule {\n action = \"pass\"\n to = { \"10.0.0.0/8\", \"*.x\", "
		 "\"no:pe\" }\n}\n",
		 "t.conf:3: bad destination 'no:pe'");
}
END_TEST

/*
 * Values socksifyd.conf shares with socks.conf mean the same in both
 * (conf/cfgvalue.c): commands and methods in any case, no second spelling
 * of udp, dotted numbers that are no address refused as a name glob.
 * One row per rule body; want NULL: accepted.
 */
static const struct {
	const char *rule;
	const char *want;
} shared_values[] = {
	{"command = { \"CONNECT\", \"Bind\", \"udp\" }", NULL},
	{"command = { \"udpassociate\" }", "t.conf:2: unknown command"},
	{"command = { \"raw\" }", "t.conf:2: unknown command"},
	{"to = { \"1234\" }", "t.conf:2: bad destination '1234'"},
	{"to = { \"10.0.0.256\" }", "t.conf:2: bad destination"},
	{"to = { \"*.Example.com\", \"host-1\" }", NULL},
	{"ports = \"0\"", "t.conf:2: bad ports '0' (expected a port N"},
	{"ports = \"80,443,8000-8999\"", NULL},
};

START_TEST(t_shared_values)
{
	char text[256];
	struct srvconf *c;

	snprintf(text, sizeof(text), "rule {\n%s\naction = \"pass\"\n}\n",
		 shared_values[_i].rule);
	if (!shared_values[_i].want) {
		c = load_ok(text, NULL);
		ck_assert_uint_eq(c->nrules, 1);
		srvconf_unref(c);
		return;
	}
	load_bad(text, shared_values[_i].want);
}
END_TEST

/* auth methods: any case, as socks.conf's `method`. */
START_TEST(t_auth_case)
{
	struct srvconf *c = load_ok("auth = { \"USERNAME\", \"None\" }\n"
				    "user \"a\" { password = \"b\" }\n",
				    NULL);

	ck_assert_int_eq(c->methods.nmethods, 2);
	ck_assert_int_eq(c->methods.methods[0], 2);
	ck_assert_int_eq(c->methods.methods[1], 0);
	srvconf_unref(c);
	load_bad("auth = { \"GSSAPI\" }\n", "t.conf:1: auth method \"gssapi\"");
}
END_TEST

/* Reference counting: the config lives until its last user lets go. */
START_TEST(t_refs)
{
	struct srvconf *c = load_ok("", NULL);

	ck_assert_ptr_eq(srvconf_ref(c), c);
	ck_assert_int_eq(c->refs, 2);
	srvconf_unref(c);
	ck_assert_int_eq(c->refs, 1);
	srvconf_unref(c);
}
END_TEST

/* ---- users and passwords -------------------------------------------- */

START_TEST(t_users_file)
{
	struct auth_db db = {0};
	char err[256] = "";

	ck_assert_int_eq(
		auth_db_load_file(&db, fixture("users.txt"), err, sizeof(err)),
		0);
	ck_assert_uint_eq(db.n, 2);
	ck_assert(db.any_hashed);
	auth_db_free(&db);

	ck_assert_int_eq(auth_db_load_text(&db, "ok:$6$salt$x\nnocolon\n",
					   "u.txt", err, sizeof(err)),
			 -1);
	ck_assert_msg(strncmp(err, "u.txt:1: ", 9) == 0, "%s", err);
	auth_db_free(&db);
	ck_assert_int_eq(auth_db_load_text(&db, "# c\n\nnocolon\n", "u.txt",
					   err, sizeof(err)),
			 -1);
	ck_assert_msg(strncmp(err, "u.txt:3: expected", 17) == 0, "%s", err);
	auth_db_free(&db);
	ck_assert_int_eq(
		auth_db_load_text(&db, ":$6$x$y\n", "u.txt", err, sizeof(err)),
		-1);
	ck_assert_msg(strncmp(err, "u.txt:1: ", 9) == 0, "%s", err);
	auth_db_free(&db);
	ck_assert_int_eq(
		auth_db_load_text(&db, "a:plain\n", "u.txt", err, sizeof(err)),
		-1);
	ck_assert_msg(strstr(err, "openssl passwd -6"), "%s", err);
	auth_db_free(&db);
	ck_assert_int_eq(
		auth_db_load_file(&db, "/nonexistent", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent"), "%s", err);
	auth_db_free(&db);
}
END_TEST

START_TEST(t_verify)
{
	struct auth_db db = {0};

	ck_assert_int_eq(auth_db_add(&db, "alice", "secret", false), 0);
	ck_assert_int_eq(auth_db_add(&db, "carol", HASH6, true), 0);
	ck_assert_int_eq(auth_db_add(&db, "bad", "nohash", true), -EINVAL);
	ck_assert_int_eq(auth_db_add(&db, "", "x", false), -EINVAL);
	ck_assert_int_eq(auth_db_add_userpass(&db, "nocolon"), -EINVAL);
	ck_assert_int_eq(auth_db_add_userpass(&db, ":x"), -EINVAL);

	ck_assert(auth_verify(&db, "alice", 5, "secret", 6));
	ck_assert(!auth_verify(&db, "alice", 5, "secreT", 6));
	ck_assert(!auth_verify(&db, "alice", 5, "secret2", 7));
	ck_assert(!auth_verify(&db, "alice", 5, "secre", 5));
	ck_assert(!auth_verify(&db, "alice", 5, "", 0));
	ck_assert(!auth_verify(&db, "alic", 4, "secret", 6));
	ck_assert(!auth_verify(&db, "alicex", 6, "secret", 6));
	/* NUL bytes from the wire never match a C string. */
	ck_assert(!auth_verify(&db, "alice\0x", 7, "secret", 6));
	ck_assert(!auth_verify(&db, "alice", 5, "secret\0x", 8));
	ck_assert(auth_verify(&db, "carol", 5, "hunter2", 7));
	ck_assert(!auth_verify(&db, "carol", 5, "hunter3", 7));
	ck_assert(!auth_verify(&db, "nobody", 6, "hunter2", 7));
	/* A later entry for the same name replaces the password. */
	ck_assert_int_eq(auth_db_add(&db, "alice", "new", false), 0);
	ck_assert_uint_eq(db.n, 2);
	ck_assert(!auth_verify(&db, "alice", 5, "secret", 6));
	ck_assert(auth_verify(&db, "alice", 5, "new", 3));
	auth_db_free(&db);

	ck_assert(auth_ct_equal("abc", 3, "abc", 3));
	ck_assert(!auth_ct_equal("abc", 3, "abd", 3));
	ck_assert(!auth_ct_equal("abc", 3, "abc\0", 4));
	ck_assert(auth_hash_is_valid(HASH6));
	ck_assert(!auth_hash_is_valid("$6$"));
	ck_assert(!auth_hash_is_valid("plain"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("server_conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_good_fixture);
	tcase_add_loop_test(tc, t_bad_fixture, 0, N(bad_fixtures));
	tcase_add_loop_test(tc, t_shared_values, 0, N(shared_values));
	tcase_add_test(tc, t_auth_case);
	tcase_add_test(tc, t_sample);
	tcase_add_test(tc, t_missing_file);
	tcase_add_test(tc, t_cli_overrides);
	tcase_add_test(tc, t_safe_defaults);
	tcase_add_test(tc, t_refs);
	tcase_add_test(tc, t_users_file);
	tcase_add_test(tc, t_verify);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
