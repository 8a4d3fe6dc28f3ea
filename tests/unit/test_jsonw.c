/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/common/jsonw.c: hostile strings (quotes, backslashes,
 * control characters, newlines that could forge a log line, invalid and
 * overlong UTF-8, surrogates, NUL-free binary) give exact escapes, and
 * every line parses with python3's json module to the expected value.
 */
#include "config.h"

#include "common/jsonw.h"
#include "common/log.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *one(const char *val, char *buf, size_t cap)
{
	struct jsonw w;

	jsonw_init(&w, buf, cap);
	jsonw_str(&w, "v", val);
	jsonw_finish(&w);
	return buf;
}

START_TEST(escapes_exact)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "{\"v\":\"plain\"}"},
		{"a\"b\\c", "{\"v\":\"a\\\"b\\\\c\"}"},
		{"x\ny\r\tz", "{\"v\":\"x\\ny\\r\\tz\"}"},
		{"\x01\x1f\x7f", "{\"v\":\"\\u0001\\u001f\\u007f\"}"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "{\"v\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"},
		{"\xff\xfe", "{\"v\":\"\\ufffd\\ufffd\"}"},
		{"\xc0\xaf", "{\"v\":\"\\ufffd\\ufffd\"}"}, /* overlong '/' */
		{"\xed\xa0\x80",
		 "{\"v\":\"\\ufffd\\ufffd\\ufffd\"}"},	    /* surrogate */
		{"\xe2\x82", "{\"v\":\"\\ufffd\\ufffd\"}"}, /* cut short */
		{"</script>", "{\"v\":\"</script>\"}"},
	};
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(one(cases[i].in, buf, sizeof(buf)),
				 cases[i].out);
}
END_TEST

START_TEST(numbers_null_and_truncation)
{
	char buf[64], big[200];
	struct jsonw w;

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_u64(&w, "n", 18446744073709551615ull);
	jsonw_str(&w, "z", NULL);
	jsonw_finish(&w);
	ck_assert_str_eq(buf, "{\"n\":18446744073709551615,\"z\":null}");

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_secs(&w, "d", 12345);
	jsonw_i64(&w, "e", -3);
	jsonw_finish(&w);
	ck_assert_str_eq(buf, "{\"d\":12.345,\"e\":-3}");

	/* A field that does not fit is dropped whole, the object stays
	 * valid and says so. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_str(&w, "k", "ok");
	jsonw_str(&w, "big", big);
	jsonw_finish(&w);
	ck_assert_str_eq(buf, "{\"k\":\"ok\",\"truncated\":true}");
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_str(&w, "big", big);
	jsonw_finish(&w);
	ck_assert_str_eq(buf, "{\"truncated\":true}");
}
END_TEST

/* Every hostile value, and a log line in JSON mode, through python3. */
START_TEST(python_parses)
{
	static const char *const hostile[] = {
		"\"}\n{\"forged\":1",	    "back\\slash\\",
		"\x1b[31mred\x1b[0m",	    "\xff\xc0\x80\xed\xbf\xbf",
		"\xf4\x90\x80\x80",	    "tab\there",
		"\xe6\x97\xa5\xe6\x9c\xac",
	};
	char path[] = "/tmp/test_jsonw.XXXXXX", buf[512], cmd[600];
	FILE *f;
	size_t i;
	int fd, rc;

	if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
		return; /* no python3: the exact cases above still ran */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		fprintf(f, "%s\n", one(hostile[i], buf, sizeof(buf)));
	fclose(f);
	/* The log line of a message with a newline and a quote. */
	ck_assert_int_eq(log_open("t\"est", LOG_LVL_INFO, path), 0);
	log_set_json(true);
	LOG_INFO("user \"%s\"\nsecond line", "x\\y");
	log_set_json(false);
	log_close();
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "ls=[json.loads(l) for l in open(sys.argv[1])]\n"
		 "assert len(ls)==%zu, len(ls)\n"
		 "assert ls[0][\"v\"]==\"\\\"}\\n{\\\"forged\\\":1\"\n"
		 "assert ls[1][\"v\"]==\"back\\\\slash\\\\\"\n"
		 "assert ls[3][\"v\"]==\"\\ufffd\"*6\n"
		 "assert ls[6][\"v\"]==\"\\u65e5\\u672c\"\n"
		 "m=ls[-1]\n"
		 "assert m[\"ident\"]==\"t\\\"est\" and m[\"event\"]==\"log\"\n"
		 "assert m[\"msg\"]==\"user \\\"x\\\\y\\\"\\nsecond line\", m\n"
		 "' %s",
		 sizeof(hostile) / sizeof(hostile[0]) + 1, path);
	rc = system(cmd);
	unlink(path);
	ck_assert_int_eq(rc, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonw");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escapes_exact);
	tcase_add_test(tc, numbers_null_and_truncation);
	tcase_add_test(tc, python_parses);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
