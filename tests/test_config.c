// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_config.c - siplbd's configuration parser (user/lib/config.c).
 *
 * Most cases are one table: a config text and either "valid" or the line
 * and a part of the message its first error must have, so every rule of
 * the format has a case that breaks it (and, where there is a limit, one
 * that sits exactly on it). The other tests check what a valid file turns
 * into: defaults, every value stored, users paths, the shipped
 * etc/siplb.conf (SIPLB_ETC overrides "etc"), files on disk, limits that
 * need generated text, and buffers without a terminating NUL.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config.h"
#include "endpoint.h"
#include "guard_apply.h"
#include "worker_conf.h"
#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NAME "test.conf"

/* The required directives (lines 1-2) and one VIP (lines 3-5). */
#define REQ "realm example.com\nusers /etc/siplb/users\n"
#define VIP4 "vip 192.0.2.1:5060 {\n\tbackend 10.0.0.1:5060\n}\n"
#define MIN REQ VIP4
/* A VIP block opened at line 3, its backend line next (line 4). */
#define IN_VIP4 REQ "vip 192.0.2.1:5060 {\n"

struct conf_case {
	const char *what;
	const char *text;
	unsigned int line;	/* of the first error */
	const char *msg;	/* part of its message; NULL: valid text */
};

static const struct conf_case cases[] = {
	/* Syntax */
	{ "minimal", MIN, 0, NULL },
	{ "comments, blank lines, tabs and CRLF",
	  "# siplb\n\n \t \nrealm example.com # the realm\r\n"
	  "\tusers\t/u\r\n" VIP4 "# the end\n", 0, NULL },
	{ "no newline at the end",
	  IN_VIP4 "backend 10.0.0.1:5060\n}", 0, NULL },
	{ "comments after '{' and '}'",
	  REQ "vip 192.0.2.1:5060 { # v\nbackend 10.0.0.1:5060\n} # end\n",
	  0, NULL },
	{ "non-ASCII realm",
	  "realm b\xc3\xa4r.example\nusers /u\n" VIP4, 0, NULL },
	{ "unknown directive", "frobnicate 1\n" MIN, 1,
	  "unknown directive 'frobnicate'" },
	{ "keywords are case-sensitive", "Realm x\n" MIN, 1,
	  "unknown directive 'Realm'" },
	{ "missing argument", "pin-dir\n" MIN, 1,
	  "pin-dir: takes 1 argument, got 0" },
	{ "extra argument", "xdp-mode native generic\n" MIN, 1,
	  "xdp-mode: takes 1 argument, got 2" },
	{ "block that takes no argument", "auth now {\n}\n" MIN, 1,
	  "auth: takes no arguments, got 1" },
	{ "vip without its endpoint", "vip {\n}\n" MIN, 1,
	  "vip: takes 1 argument, got 0" },
	{ "backend with 4 arguments",
	  IN_VIP4 "backend 10.0.0.1:5060 weight 2 3\n}\n", 4,
	  "backend: takes 1 to 3 arguments, got 4" },
	{ "backend weight without value",
	  IN_VIP4 "backend 10.0.0.1:5060 weight\n}\n", 4,
	  "backend 10.0.0.1:5060: weight: missing value" },
	{ "backend unknown option",
	  IN_VIP4 "backend 10.0.0.1:5060 prio 2\n}\n", 4,
	  "backend 10.0.0.1:5060: unknown option 'prio'" },
	{ "too many words", "realm a b c d e f g h i\n" MIN, 1,
	  "realm: too many words on the line" },
	{ "control character", "realm ex\x01" "ample\n" MIN, 1,
	  "control character 0x01 in the line" },
	{ "DEL", "# \x7f\n" MIN, 1, "control character 0x7f" },
	{ "'#' ends a word", "realm r#x\nusers /u\n" VIP4, 0, NULL },

	/* Numbers */
	{ "not a number", "affinity-size many\n" MIN, 1,
	  "affinity-size: 'many' is not a number" },
	{ "negative", "affinity-size -1\n" MIN, 1, "'-1' is not a number" },
	{ "plus sign", "affinity-size +1\n" MIN, 1, "'+1' is not a number" },
	{ "hexadecimal", "affinity-size 0x10\n" MIN, 1,
	  "'0x10' is not a number" },
	{ "unit suffix", "affinity-size 1k\n" MIN, 1, "'1k' is not a number" },
	{ "below range", "affinity-size 0\n" MIN, 1,
	  "affinity-size: 0 is out of range 1..67108864" },
	{ "above range", "affinity-size 67108865\n" MIN, 1,
	  "affinity-size: 67108865 is out of range 1..67108864" },
	{ "2^32", "affinity-size 4294967296\n" MIN, 1,
	  "4294967296 is out of range" },
	{ "beyond 64 bits", "affinity-size 99999999999999999999999\n" MIN, 1,
	  "99999999999999999999999 is out of range" },
	{ "upper bound", "affinity-size 67108864\n" MIN, 0, NULL },
	{ "leading zeros", "affinity-size 007\n" MIN, 0, NULL },

	/* Once only */
	{ "realm twice", "realm a\n" MIN, 2,
	  "realm: given twice (first at line 1)" },
	{ "users twice", MIN "users /v\n", 6,
	  "users: given twice (first at line 2)" },
	{ "pin-dir twice", "pin-dir /a\npin-dir /a\n" MIN, 2,
	  "pin-dir: given twice (first at line 1)" },
	{ "block twice", "registrar {\n}\nregistrar {\n}\n" MIN, 3,
	  "registrar: given twice (first at line 1)" },
	{ "block option twice", "health {\ninterval 5\ninterval 6\n}\n" MIN, 3,
	  "interval: given twice (first at line 2)" },
	{ "interface twice", "interface eth0\ninterface eth0\n" MIN, 2,
	  "interface eth0: given twice (first at line 1)" },
	{ "xdp-mode twice", "xdp-mode auto\nxdp-mode auto\n" MIN, 2,
	  "xdp-mode: given twice (first at line 1)" },

	/* VIPs and backends */
	{ "vip twice", MIN VIP4, 6,
	  "vip 192.0.2.1:5060: given twice (first at line 3)" },
	{ "IPv6 vip twice, spelt differently",
	  REQ "vip [2001:db8::1]:5060 {\nbackend [2001:db8::2]:5060\n}\n"
	  "vip [2001:db8:0:0::1]:5060 {\n", 6,
	  "vip [2001:db8:0:0::1]:5060: given twice (first at line 3)" },
	{ "same address, other port: another vip",
	  MIN "vip 192.0.2.1:5061 {\nbackend 10.0.0.2:5060\n}\n", 0, NULL },
	{ "two IPv4 and one IPv6 vip",
	  MIN "vip 192.0.2.2:5060 {\nbackend 10.0.0.2:5060\n}\n"
	  "vip [2001:db8::1]:5060 {\nbackend [2001:db8::2]:5060\n}\n",
	  0, NULL },
	{ "backend twice in a vip",
	  IN_VIP4 "backend 10.0.0.1:5060\nbackend 10.0.0.1:5060 weight 2\n}\n",
	  5, "backend 10.0.0.1:5060: already a backend of vip 192.0.2.1:5060 "
	  "(line 4)" },
	{ "backend of two vips",
	  MIN "vip 192.0.2.2:5060 {\nbackend 10.0.0.1:5060\n}\n", 7,
	  "backend 10.0.0.1:5060: already a backend of vip 192.0.2.1:5060 "
	  "(line 4)" },
	{ "backend is a vip",
	  MIN "vip 192.0.2.2:5060 {\nbackend 192.0.2.1:5060\n}\n", 7,
	  "backend 192.0.2.1:5060: is a VIP (line 3)" },
	{ "vip is a backend", MIN "vip 10.0.0.1:5060 {\n", 6,
	  "vip 10.0.0.1:5060: already a backend (line 4)" },
	{ "IPv6 backend of an IPv4 vip",
	  IN_VIP4 "backend [2001:db8::1]:5060\n}\n", 4,
	  "backend [2001:db8::1]:5060: address family differs from its VIP's" },
	{ "IPv4 backend of an IPv6 vip",
	  REQ "vip [2001:db8::1]:5060 {\nbackend 10.0.0.1:5060\n}\n", 4,
	  "backend 10.0.0.1:5060: address family differs from its VIP's" },
	{ "vip without backend", REQ "vip 192.0.2.9:5060 {\n}\n" VIP4, 3,
	  "vip 192.0.2.9:5060: no backend" },
	{ "vip without port", "vip 192.0.2.1 {\n}\n" MIN, 1,
	  "vip: '192.0.2.1' is not ADDRESS:PORT or [IPV6]:PORT" },
	{ "vip host name", "vip sip.example.com:5060 {\n}\n" MIN, 1,
	  "vip: 'sip.example.com:5060' is not ADDRESS:PORT" },
	{ "vip IPv6 without brackets", "vip 2001:db8::1:5060 {\n}\n" MIN, 1,
	  "is not ADDRESS:PORT" },
	{ "backend port out of range",
	  IN_VIP4 "backend 10.0.0.1:65536\n}\n", 4,
	  "backend: '10.0.0.1:65536' is not ADDRESS:PORT" },
	{ "weight 0", IN_VIP4 "backend 10.0.0.1:5060 weight 0\n}\n", 4,
	  "weight: 0 is out of range 1..1000" },
	{ "weight 1001", IN_VIP4 "backend 10.0.0.1:5060 weight 1001\n}\n", 4,
	  "weight: 1001 is out of range 1..1000" },
	{ "weight not a number",
	  IN_VIP4 "backend 10.0.0.1:5060 weight heavy\n}\n", 4,
	  "weight: 'heavy' is not a number" },
	{ "weight 1000", IN_VIP4 "backend 10.0.0.1:5060 weight 1000\n}\n",
	  0, NULL },

	/* Interfaces */
	{ "8 interfaces",
	  "interface e1\ninterface e2\ninterface e3\ninterface e4\n"
	  "interface e5\ninterface e6\ninterface e7\ninterface e8\n" MIN,
	  0, NULL },
	{ "9 interfaces",
	  "interface e1\ninterface e2\ninterface e3\ninterface e4\n"
	  "interface e5\ninterface e6\ninterface e7\ninterface e8\n"
	  "interface e9\n" MIN, 9, "interface e9: more than 8 interfaces" },
	{ "interface name of 15 characters", "interface abcdefghijklmno\n" MIN,
	  0, NULL },
	{ "interface name of 16 characters", "interface abcdefghijklmnop\n" MIN,
	  1, "interface: 'abcdefghijklmnop' is longer than 15 characters" },
	{ "interface name with '/'", "interface a/b\n" MIN, 1,
	  "interface: 'a/b' is not a valid interface name" },
	{ "interface name with ':'", "interface eth0:1\n" MIN, 1,
	  "is not a valid interface name" },
	{ "interface named ..", "interface ..\n" MIN, 1,
	  "is not a valid interface name" },

	/* Blocks */
	{ "vip block not closed", IN_VIP4 "backend 10.0.0.1:5060\n", 3,
	  "vip block not closed (missing '}')" },
	{ "registrar block not closed", MIN "registrar {\nmin-expires 60\n",
	  6, "registrar block not closed (missing '}')" },
	{ "'}' without a block", "}\n" MIN, 1, "'}' without an open block" },
	{ "'}' once too often", MIN "}\n", 6, "'}' without an open block" },
	{ "'}' after a directive", IN_VIP4 "backend 10.0.0.1:5060 }\n", 4,
	  "'}' must be alone on its line" },
	{ "'}' before a directive", IN_VIP4 "backend 10.0.0.1:5060\n} health\n",
	  5, "'}' must be alone on its line" },
	{ "block on one line", "registrar { min-expires 60 }\n" MIN, 1,
	  "'{' must end the line" },
	{ "'{' alone", "{\n" MIN, 1, "'{' without a directive" },
	{ "'{' glued to the keyword", "registrar{\n}\n" MIN, 1,
	  "unknown directive 'registrar{'" },
	{ "block without '{'", "registrar\n" MIN, 1,
	  "registrar: expected '{' at the end of the line" },
	{ "'{' on the next line", "health\n{\n}\n" MIN, 1,
	  "health: expected '{' at the end of the line" },
	{ "'{' after a plain directive", "realm r {\n" MIN, 1,
	  "realm: does not open a block" },
	{ "nested blocks", "registrar {\nauth {\n}\n}\n" MIN, 2,
	  "auth: blocks do not nest (inside the registrar block of line 1)" },
	{ "vip inside vip", IN_VIP4 "vip 192.0.2.2:5060 {\n", 4,
	  "vip: blocks do not nest (inside the vip block of line 3)" },
	{ "top-level directive in a block", "registrar {\nrealm r\n}\n" MIN,
	  2, "realm: not allowed inside a registrar block" },
	{ "block option at top level", "min-expires 60\n" MIN, 1,
	  "min-expires: only allowed inside a registrar block" },
	{ "block option in another block", "auth {\nmin-expires 60\n}\n" MIN,
	  2, "min-expires: only allowed inside a registrar block" },
	{ "backend at top level", "backend 10.0.0.1:5060\n" MIN, 1,
	  "backend: only allowed inside a vip block" },
	{ "health option in a vip", IN_VIP4 "interval 2\n", 4,
	  "interval: only allowed inside a health block" },
	{ "empty blocks", "registrar {\n}\nauth {\n}\nhealth {\n}\n" MIN,
	  0, NULL },

	/* Required */
	{ "empty file", "", 0, "realm: missing (required)" },
	{ "only comments", "# nothing\n\n", 0, "realm: missing (required)" },
	{ "no users", "realm r\n" VIP4, 0, "users: missing (required)" },
	{ "no vip", REQ, 0, "vip: missing (at least one is required)" },

	/* Strings and paths */
	{ "xdp-mode native", "xdp-mode native\n" MIN, 0, NULL },
	{ "xdp-mode generic", "xdp-mode generic\n" MIN, 0, NULL },
	{ "xdp-mode unknown", "xdp-mode turbo\n" MIN, 1,
	  "xdp-mode: 'turbo' is not auto, native or generic" },
	{ "xdp-replace on", "xdp-replace on\n" MIN, 0, NULL },
	{ "xdp-replace bad", "xdp-replace yes\n" MIN, 1,
	  "xdp-replace: 'yes' is not on or off" },
	{ "metrics", "metrics 127.0.0.1:9260\n" MIN, 0, NULL },
	{ "metrics IPv6", "metrics [::1]:9260\n" MIN, 0, NULL },
	{ "metrics no port", "metrics 127.0.0.1\n" MIN, 1,
	  "metrics: '127.0.0.1' is not ADDRESS:PORT or [IPV6]:PORT" },
	{ "metrics port 0", "metrics 127.0.0.1:0\n" MIN, 1,
	  "metrics: '127.0.0.1:0' is not ADDRESS:PORT or [IPV6]:PORT" },
	{ "metrics twice", "metrics 127.0.0.1:1\nmetrics 127.0.0.1:2\n" MIN,
	  2, "metrics: given twice (first at line 1)" },
	{ "relative pin-dir", "pin-dir bpf/siplb\n" MIN, 1,
	  "pin-dir: 'bpf/siplb' is not an absolute path" },
	{ "relative control-socket", "control-socket siplbd.sock\n" MIN, 1,
	  "control-socket: 'siplbd.sock' is not an absolute path" },
	{ "state-file", "state-file /var/lib/siplb/bindings\n" MIN, 0, NULL },
	{ "state-file with interval", "state-file /s 60\n" MIN, 0, NULL },
	{ "state-file interval at its limit", "state-file /s 86400\n" MIN, 0,
	  NULL },
	{ "relative state-file", "state-file bindings\n" MIN, 1,
	  "state-file: 'bindings' is not an absolute path" },
	{ "state-file without a path", "state-file\n" MIN, 1,
	  "state-file: takes 1 to 2 arguments, got 0" },
	{ "state-file, three words", "state-file /s 1 2\n" MIN, 1,
	  "state-file: takes 1 to 2 arguments, got 3" },
	{ "state-file interval 0", "state-file /s 0\n" MIN, 1,
	  "state-file interval: 0 is out of range 1..86400" },
	{ "state-file interval above a day", "state-file /s 86401\n" MIN, 1,
	  "state-file interval: 86401 is out of range 1..86400" },
	{ "state-file interval not a number", "state-file /s 10s\n" MIN, 1,
	  "state-file interval: '10s' is not a number" },
	{ "state-file twice", "state-file /a\nstate-file /b\n" MIN, 2,
	  "state-file: given twice (first at line 1)" },
	{ "state-file inside a block",
	  REQ "health {\nstate-file /s\n}\n" VIP4, 4,
	  "state-file: not allowed inside a health block" },
	{ "realm with '\"'", "realm ex\"ample\n" MIN, 1,
	  "realm: 'ex\"ample' contains '\"' or '\\'" },
	{ "realm with '\\'", "realm ex\\ample\n" MIN, 1,
	  "contains '\"' or '\\'" },

	/* registrar */
	{ "min-expires above default", "registrar {\nmin-expires 3601\n}\n" MIN,
	  2, "registrar: min-expires 3601 is greater than "
	  "default-expires 3600" },
	{ "max-expires below default", "registrar {\nmax-expires 1800\n}\n" MIN,
	  2, "registrar: default-expires 3600 is greater than "
	  "max-expires 1800" },
	{ "expires conflict blamed on the later line",
	  "registrar {\ndefault-expires 100\nmax-contacts 5\n"
	  "min-expires 200\n}\n" MIN,
	  4, "min-expires 200 is greater than default-expires 100" },
	{ "min = default = max",
	  "registrar {\nmin-expires 600\ndefault-expires 600\n"
	  "max-expires 600\n}\n" MIN, 0, NULL },
	{ "default-expires 0", "registrar {\ndefault-expires 0\n}\n" MIN, 2,
	  "default-expires: 0 is out of range 1..2147483647" },
	{ "min-expires 0", "registrar {\nmin-expires 0\n}\n" MIN, 2,
	  "min-expires: 0 is out of range 1..2147483647" },
	{ "max-expires 2^31", "registrar {\nmax-expires 2147483648\n}\n" MIN, 2,
	  "max-expires: 2147483648 is out of range 1..2147483647" },
	{ "max-expires 2^31-1", "registrar {\nmax-expires 2147483647\n}\n" MIN,
	  0, NULL },
	{ "max-contacts 0", "registrar {\nmax-contacts 0\n}\n" MIN, 2,
	  "max-contacts: 0 is out of range 1..100" },
	{ "max-contacts 101", "registrar {\nmax-contacts 101\n}\n" MIN, 2,
	  "max-contacts: 101 is out of range 1..100" },
	{ "max-contacts 100", "registrar {\nmax-contacts 100\n}\n" MIN,
	  0, NULL },
	{ "max-bindings 0", "registrar {\nmax-bindings 0\n}\n" MIN, 2,
	  "max-bindings: 0 is out of range 1..16777216" },
	{ "max-bindings 2^24+1", "registrar {\nmax-bindings 16777217\n}\n" MIN,
	  2, "max-bindings: 16777217 is out of range 1..16777216" },
	{ "max-bindings 2^24", "registrar {\nmax-bindings 16777216\n}\n" MIN,
	  0, NULL },

	/* auth */
	{ "algorithms MD5 first", "auth {\nalgorithms MD5 SHA-256\n}\n" MIN,
	  0, NULL },
	{ "algorithms, case-insensitive", "auth {\nalgorithms sha-512-256\n}\n"
	  MIN, 0, NULL },
	{ "algorithms: unknown", "auth {\nalgorithms SHA-1\n}\n" MIN, 2,
	  "algorithms: 'SHA-1' is not MD5, SHA-256 or SHA-512-256" },
	{ "algorithms: -sess", "auth {\nalgorithms MD5-sess\n}\n" MIN, 2,
	  "is not MD5, SHA-256 or SHA-512-256" },
	{ "algorithms: twice", "auth {\nalgorithms MD5 md5\n}\n" MIN, 2,
	  "algorithms: md5 given twice" },
	{ "algorithms: none", "auth {\nalgorithms\n}\n" MIN, 2,
	  "algorithms: takes 1 to 3 arguments, got 0" },
	{ "user-agent-algorithms", "auth {\nuser-agent-algorithms "
	  "Linphone* SHA-256 MD5\n}\n" MIN, 0, NULL },
	{ "user-agent-algorithms: no algorithm",
	  "auth {\nuser-agent-algorithms Linphone*\n}\n" MIN, 2,
	  "user-agent-algorithms: takes 2 to 4 arguments, got 1" },
	{ "user-agent-algorithms: unknown algorithm",
	  "auth {\nuser-agent-algorithms x SHA-1\n}\n" MIN, 2,
	  "user-agent-algorithms: 'SHA-1' is not MD5, SHA-256 or SHA-512-256" },
	{ "user-agent-algorithms: algorithm twice",
	  "auth {\nuser-agent-algorithms x MD5 md5\n}\n" MIN, 2,
	  "user-agent-algorithms: md5 given twice" },
	{ "user-agent-algorithms: pattern twice",
	  "auth {\nuser-agent-algorithms x* MD5\n"
	  "user-agent-algorithms X* SHA-256\n}\n" MIN, 3,
	  "user-agent-algorithms: pattern 'X*' given twice" },
	{ "user-agent-algorithms: pattern too long",
	  "auth {\nuser-agent-algorithms "
	  "12345678901234567890123456789012345678901234567890123456789012345"
	  " MD5\n}\n" MIN, 2, "is longer than 64 bytes" },
	{ "user-agent-algorithms: outside auth",
	  "user-agent-algorithms x MD5\n" MIN, 1,
	  "user-agent-algorithms: only allowed inside a auth block" },
	{ "block-time 0: never block", "auth {\nblock-time 0\n}\n" MIN, 0,
	  NULL },
	{ "block-time 2^31", "auth {\nblock-time 2147483648\n}\n" MIN, 2,
	  "block-time: 2147483648 is out of range 0..2147483647" },
	{ "block-time 2^32 (not 0 modulo 2^32)",
	  "auth {\nblock-time 4294967296\n}\n" MIN, 2,
	  "block-time: 4294967296 is out of range 0..2147483647" },
	{ "block-threshold 0", "auth {\nblock-threshold 0\n}\n" MIN, 2,
	  "block-threshold: 0 is out of range 1..1000" },
	{ "block-threshold 1001", "auth {\nblock-threshold 1001\n}\n" MIN, 2,
	  "block-threshold: 1001 is out of range 1..1000" },
	{ "block-window 0", "auth {\nblock-window 0\n}\n" MIN, 2,
	  "block-window: 0 is out of range 1..86400" },
	{ "nonce-lifetime 0", "auth {\nnonce-lifetime 0\n}\n" MIN, 2,
	  "nonce-lifetime: 0 is out of range 1..86400" },
	{ "nonce-lifetime 86401", "auth {\nnonce-lifetime 86401\n}\n" MIN, 2,
	  "nonce-lifetime: 86401 is out of range 1..86400" },
	{ "xdp-challenge yes", "auth {\nxdp-challenge yes\n}\n" MIN, 2,
	  "xdp-challenge: 'yes' is not on or off" },
	{ "xdp-challenge outside auth", "xdp-challenge on\n" MIN, 1,
	  "xdp-challenge: only allowed inside a auth block" },

	/* health */
	{ "timeout equal to interval",
	  "health {\ninterval 3\ntimeout 3\n}\n" MIN, 3,
	  "health: timeout 3 must be shorter than interval 3" },
	{ "interval at the default timeout", "health {\ninterval 1\n}\n" MIN, 2,
	  "health: timeout 1 must be shorter than interval 1" },
	{ "interval 0", "health {\ninterval 0\n}\n" MIN, 2,
	  "interval: 0 is out of range 1..3600" },
	{ "timeout 0", "health {\ntimeout 0\n}\n" MIN, 2,
	  "timeout: 0 is out of range 1..3600" },
	{ "interval 3601", "health {\ninterval 3601\n}\n" MIN, 2,
	  "interval: 3601 is out of range 1..3600" },
	{ "down-after 0", "health {\ndown-after 0\n}\n" MIN, 2,
	  "down-after: 0 is out of range 1..100" },
	{ "up-after 101", "health {\nup-after 101\n}\n" MIN, 2,
	  "up-after: 101 is out of range 1..100" },
	{ "health at its limits",
	  "health {\ninterval 3600\ntimeout 3599\ndown-after 100\n"
	  "up-after 1\n}\n" MIN, 0, NULL },
	{ "alive-codes below 200", "health {\nalive-codes 100-299\n}\n" MIN,
	  2, "alive-codes: '100-299' is not within 200..699" },
	{ "alive-codes above 699", "health {\nalive-codes 200 700\n}\n" MIN,
	  2, "alive-codes: '700' is not within 200..699" },
	{ "alive-codes backwards", "health {\nalive-codes 499-200\n}\n" MIN,
	  2, "alive-codes: '499-200' is not within 200..699" },
	{ "alive-codes not a code", "health {\nalive-codes 2xx\n}\n" MIN, 2,
	  "alive-codes: '2xx' is not CODE or LO-HI" },
	{ "alive-codes trailing dash", "health {\nalive-codes 200-\n}\n" MIN,
	  2, "alive-codes: '200-' is not CODE or LO-HI" },
	{ "passive maybe", "health {\npassive maybe\n}\n" MIN, 2,
	  "passive: 'maybe' is not on or off" },
	{ "passive-silence 99", "health {\npassive-silence 99\n}\n" MIN, 2,
	  "passive-silence: 99 is out of range 100..60000" },
	{ "passive-error-share 0", "health {\npassive-error-share 0\n}\n"
	  MIN, 2, "passive-error-share: 0 is out of range 1..100" },
	{ "passive-error-share 101", "health {\npassive-error-share 101\n}\n"
	  MIN, 2, "passive-error-share: 101 is out of range 1..100" },
	{ "passive-min-requests 0", "health {\npassive-min-requests 0\n}\n"
	  MIN, 2, "passive-min-requests: 0 is out of range 1..1000" },
	{ "passive-window 60001", "health {\npassive-window 60001\n}\n"
	  MIN, 2, "passive-window: 60001 is out of range 100..60000" },
	{ "retry-after-max 3601", "health {\nretry-after-max 3601\n}\n"
	  MIN, 2, "retry-after-max: 3601 is out of range 0..3600" },
	{ "passive outside health", "passive on\n" MIN, 1,
	  "passive: only allowed inside a health block" },

	/* guard */
	{ "guard, everything on",
	  "guard {\nbudget REGISTER 5 10\nbudget INVITE 1 1\n"
	  "budget OPTIONS 1000000 1000000\nbudget other off\n"
	  "strict-dialogs on\ntrunk 192.0.2.0/24\ntrunk 2001:db8::/32\n"
	  "trunk 198.51.100.7\nblock-scanners on\nscanner evil-dialer\n}\n"
	  MIN, 0, NULL },
	{ "guard, empty", "guard {\n}\n" MIN, 0, NULL },
	{ "budget unknown class", "guard {\nbudget BYE 1 1\n}\n" MIN, 2,
	  "budget: 'BYE' is not REGISTER, INVITE, OPTIONS or other" },
	{ "budget class is case-sensitive",
	  "guard {\nbudget register 1 1\n}\n" MIN, 2,
	  "budget: 'register' is not" },
	{ "budget without burst", "guard {\nbudget INVITE 5\n}\n" MIN, 2,
	  "budget INVITE: expected RATE BURST or off" },
	{ "budget rate 0", "guard {\nbudget INVITE 0 5\n}\n" MIN, 2,
	  "budget rate: 0 is out of range 1..1000000" },
	{ "budget burst 0", "guard {\nbudget INVITE 5 0\n}\n" MIN, 2,
	  "budget burst: 0 is out of range 1..1000000" },
	{ "budget rate too high",
	  "guard {\nbudget other 1000001 5\n}\n" MIN, 2,
	  "budget rate: 1000001 is out of range 1..1000000" },
	{ "budget burst not a number",
	  "guard {\nbudget other 5 lots\n}\n" MIN, 2,
	  "budget burst: 'lots' is not a number" },
	{ "budget class twice",
	  "guard {\nbudget INVITE 5 5\nbudget INVITE off\n}\n" MIN, 3,
	  "budget INVITE: given twice (first at line 2)" },
	{ "budget outside guard", "budget INVITE 5 5\n" MIN, 1,
	  "budget: only allowed inside a guard block" },
	{ "strict-dialogs yes", "guard {\nstrict-dialogs yes\n}\n" MIN, 2,
	  "strict-dialogs: 'yes' is not on or off" },
	{ "strict-dialogs twice",
	  "guard {\nstrict-dialogs on\nstrict-dialogs off\n}\n" MIN, 3,
	  "strict-dialogs: given twice (first at line 2)" },
	{ "trunk not an address", "guard {\ntrunk pbx.example\n}\n" MIN, 2,
	  "trunk: 'pbx.example' is not ADDRESS[/LEN]" },
	{ "trunk with a port", "guard {\ntrunk 192.0.2.1:5060\n}\n" MIN, 2,
	  "trunk: '192.0.2.1:5060' is not ADDRESS[/LEN]" },
	{ "trunk IPv4 /33", "guard {\ntrunk 192.0.2.0/33\n}\n" MIN, 2,
	  "trunk prefix length: 33 is out of range 0..32" },
	{ "trunk IPv6 /129", "guard {\ntrunk 2001:db8::/129\n}\n" MIN, 2,
	  "trunk prefix length: 129 is out of range 0..128" },
	{ "trunk host bits", "guard {\ntrunk 192.0.2.1/24\n}\n" MIN, 2,
	  "trunk 192.0.2.1/24: address has bits set beyond /24" },
	{ "trunk IPv6 host bits", "guard {\ntrunk 2001:db8::1/64\n}\n" MIN,
	  2, "trunk 2001:db8::1/64: address has bits set beyond /64" },
	{ "trunk twice",
	  "guard {\ntrunk 10.0.0.0/8\ntrunk 10.0.0.0/8\n}\n" MIN, 3,
	  "trunk 10.0.0.0/8: given twice (first at line 2)" },
	{ "trunk /0 of each family",
	  "guard {\ntrunk 0.0.0.0/0\ntrunk ::/0\n}\n" MIN, 0, NULL },
	{ "trunk empty length", "guard {\ntrunk 10.0.0.0/\n}\n" MIN, 2,
	  "trunk prefix length: '' is not a number" },
	/* The policy block */
	{ "policy, every directive",
	  "policy {\ncaller-auth on\nrelay authenticated\n"
	  "inbound authenticated\nalias bob alice carol\nalias dave eve\n}\n"
	  MIN, 0, NULL },
	{ "relay maybe", "policy {\nrelay on\n}\n" MIN, 2,
	  "relay: 'on' is not off or authenticated" },
	{ "inbound maybe", "policy {\ninbound everyone\n}\n" MIN, 2,
	  "inbound: 'everyone' is not from-anyone or authenticated" },
	{ "caller-auth maybe", "policy {\ncaller-auth yes\n}\n" MIN, 2,
	  "caller-auth: 'yes' is not on or off" },
	{ "caller-auth twice",
	  "policy {\ncaller-auth on\ncaller-auth off\n}\n" MIN, 3,
	  "caller-auth: given twice (first at line 2)" },
	{ "alias without an alias", "policy {\nalias bob\n}\n" MIN, 2,
	  "alias: takes 2 to 7 arguments, got 1" },
	{ "alias with a domain", "policy {\nalias bob alice@x.org\n}\n" MIN,
	  2, "alias: 'alice@x.org' is not a user name" },
	{ "alias pair twice",
	  "policy {\nalias bob alice\nalias bob carol alice\n}\n" MIN, 3,
	  "alias bob alice: given twice (first at line 2)" },
	{ "alias name too long",
	  "policy {\nalias bob "
	  "a123456789012345678901234567890123456789012345678901234567890123"
	  "\n}\n" MIN, 2, "is longer than 63 bytes" },
	{ "relay outside the policy block", "relay off\n" MIN, 1,
	  "relay: only allowed inside a policy block" },
	/* The cluster block (the Redis part of it) */
	{ "block-scanners maybe",
	  "guard {\nblock-scanners maybe\n}\n" MIN, 2,
	  "block-scanners: 'maybe' is not on or off" },
	{ "scanner without block-scanners",
	  "guard {\nstrict-dialogs on\nscanner x\n}\n" MIN, 3,
	  "scanner: block-scanners is not on" },
	{ "scanner longer than 16 bytes",
	  "guard {\nblock-scanners on\nscanner 12345678901234567\n}\n" MIN,
	  3, "scanner: '12345678901234567' is longer than 16 bytes" },
	{ "scanner of 16 bytes",
	  "guard {\nblock-scanners on\nscanner 1234567890123456\n}\n" MIN,
	  0, NULL },
	{ "scanner repeats a built-in one",
	  "guard {\nblock-scanners on\nscanner SIPVicious\n}\n" MIN, 3,
	  "scanner SIPVicious: given twice (first at line 2)" },
	{ "scanner twice",
	  "guard {\nblock-scanners on\nscanner a\nscanner A\n}\n" MIN, 4,
	  "scanner A: given twice (first at line 3)" },
	{ "too many scanners",
	  "guard {\nblock-scanners on\nscanner a\nscanner b\nscanner c\n"
	  "scanner d\nscanner e\nscanner f\nscanner g\n}\n" MIN, 9,
	  "scanner g: more than 16 signatures (10 built in)" },
	{ "registered-budget", "guard {\nregistered-budget 50 500\n}\n" MIN,
	  0, NULL },
	{ "registered-budget off", "guard {\nregistered-budget off\n}\n" MIN,
	  0, NULL },
	{ "registered-budget without burst",
	  "guard {\nregistered-budget 50\n}\n" MIN, 2,
	  "registered-budget: expected RATE BURST or off" },
	{ "registered-budget rate 0",
	  "guard {\nregistered-budget 0 5\n}\n" MIN, 2,
	  "registered-budget rate: 0 is out of range 1..1000000" },
	{ "registered-budget burst too big",
	  "guard {\nregistered-budget 5 1000001\n}\n" MIN, 2,
	  "registered-budget burst: 1000001 is out of range 1..1000000" },
	{ "registered-budget twice",
	  "guard {\nregistered-budget 5 5\nregistered-budget off\n}\n" MIN,
	  3, "registered-budget: given twice (first at line 2)" },
	{ "registered-budget outside guard", "registered-budget 5 5\n" MIN, 1,
	  "registered-budget: only allowed inside a guard block" },
	{ "event-server", "event-server message-summary 192.0.2.50:5060\n"
	  "event-server presence [2001:db8::5]:5060\n" MIN, 0, NULL },
	{ "event-server twice, any case",
	  "event-server presence 192.0.2.50:5060\n"
	  "event-server Presence 192.0.2.51:5060\n" MIN, 2,
	  "event-server Presence: given twice (first at line 1)" },
	{ "event-server not an address",
	  "event-server presence pres.example\n" MIN, 1,
	  "event-server presence: 'pres.example' is not ADDRESS:PORT" },
	{ "event-server bad package", "event-server pres@nce 192.0.2.5:5060\n"
	  MIN, 1, "event-server: 'pres@nce' is not an event package name" },
	{ "event-server without server", "event-server presence\n" MIN, 1,
	  "event-server: takes 2 arguments, got 1" },
	{ "event-server inside a block",
	  "guard {\nevent-server presence 192.0.2.5:5060\n}\n" MIN, 2,
	  "event-server: not allowed inside a guard block" },
	{ "guard twice", "guard {\n}\nguard {\n}\n" MIN, 3,
	  "guard: given twice (first at line 1)" },
	{ "guard not closed", MIN "guard {\nstrict-dialogs on\n", 6,
	  "guard block not closed" },
	/* worker NAME { ... } */
	{ "worker minimal",
	  MIN "worker w1 {\nlisten 10.0.0.1:5060\ndomain example.com\n}\n",
	  0, NULL },
	{ "two workers, each with its listen",
	  MIN "worker a {\nlisten 10.0.0.1:5060\ndomain d\n}\n"
	  "worker b {\nlisten 10.0.0.2:5060\ndomain d\n}\n", 0, NULL },
	{ "worker without a name", MIN "worker {\n}\n", 6,
	  "worker: takes 1 argument, got 0" },
	{ "worker name with '/'", MIN "worker a/b {\n}\n", 6,
	  "worker: 'a/b' is not a name of 1..63 letters" },
	{ "worker name starting with '.'", MIN "worker .. {\n}\n", 6,
	  "worker: '..' is not a name" },
	{ "worker twice",
	  MIN "worker a {\nlisten 10.0.0.1:5060\ndomain d\n}\n"
	  "worker a {\n", 10, "worker a: given twice (first at line 6)" },
	{ "worker without listen", MIN "worker a {\ndomain d\n}\n", 6,
	  "worker a: listen: missing (required)" },
	{ "worker without domain", MIN "worker a {\nlisten 10.0.0.1:5060\n}\n",
	  6, "worker a: domain: missing (required)" },
	{ "worker listen without port",
	  MIN "worker a {\nlisten 10.0.0.1\n}\n", 7,
	  "listen: '10.0.0.1' is not ADDRESS:PORT" },
	{ "worker listen twice in one block",
	  MIN "worker a {\nlisten 10.0.0.1:5060\nlisten 10.0.0.1:5061\n}\n", 8,
	  "listen: given twice (first at line 7)" },
	{ "two workers on one listen address",
	  MIN "worker a {\nlisten 10.0.0.1:5060\ndomain d\n}\n"
	  "worker b {\nlisten 10.0.0.1:5060\n", 11,
	  "listen 10.0.0.1:5060: already worker a's (line 6)" },
	{ "listen outside a worker", MIN "listen 10.0.0.1:5060\n", 6,
	  "listen: only allowed inside a worker block" },
	{ "worker record-route without port",
	  MIN "worker a {\nrecord-route vip.example\n}\n", 7,
	  "record-route: 'vip.example' is not HOST:PORT" },
	{ "worker record-route port 0",
	  MIN "worker a {\nrecord-route vip:0\n}\n", 7,
	  "record-route: 'vip:0' is not HOST:PORT" },
	{ "worker send-from bogus", MIN "worker a {\nsend-from vip\n}\n", 7,
	  "send-from: 'vip' is not ADDRESS:PORT, [IPV6]:PORT or off" },
	{ "worker send-from of another family",
	  MIN "worker a {\nlisten 10.0.0.1:5060\ndomain d\n"
	  "send-from [2001:db8::1]:5060\n}\n", 6,
	  "worker a: send-from [2001:db8::1]:5060: address family differs" },
	{ "worker ring-timeout 0",
	  MIN "worker a {\nring-timeout 0\n}\n", 7,
	  "ring-timeout: 0 is out of range 1..86400" },
	{ "worker max-transactions above 2^24",
	  MIN "worker a {\nmax-transactions 16777217\n}\n", 7,
	  "max-transactions: 16777217 is out of range 1..16777216" },
	{ "worker fork-group-timeout above a day",
	  MIN "worker a {\nfork-group-timeout 86401\n}\n", 7,
	  "fork-group-timeout: 86401 is out of range 0..86400" },
	{ "worker max-redirects above 8",
	  MIN "worker a {\nmax-redirects 9\n}\n", 7,
	  "max-redirects: 9 is out of range 0..8" },
	{ "worker fork-group-timeout twice",
	  MIN "worker a {\nfork-group-timeout 5\nfork-group-timeout 6\n}\n", 8,
	  "fork-group-timeout: given twice (first at line 7)" },
	{ "worker not closed", MIN "worker a {\nlisten 10.0.0.1:5060\n", 6,
	  "worker block not closed" },
	{ "worker inside a vip", IN_VIP4 "worker a {\n", 4,
	  "worker: blocks do not nest" },
	/* cluster */
	{ "cluster", "cluster {\nnode lb-1.a_b\nsecret-file /s\n"
	  "redis 192.0.2.9:6379\n}\n" MIN, 0, NULL },
	{ "cluster without redis", "cluster {\nnode n\nsecret-file /s\n}\n"
	  MIN, 0, NULL },
	{ "cluster without node", "cluster {\nsecret-file /s\n}\n" MIN, 1,
	  "cluster: node missing (required)" },
	{ "cluster without secret-file", "cluster {\nnode n\n}\n" MIN, 1,
	  "cluster: secret-file missing (required)" },
	{ "node outside cluster", "node n\n" MIN, 1,
	  "node: only allowed inside a cluster block" },
	{ "node with a blank-free bad character",
	  "cluster {\nnode lb:1\nsecret-file /s\n}\n" MIN, 2,
	  "node: 'lb:1' has a character other than" },
	{ "node of 64 bytes", "cluster {\nnode "
	  "1234567890123456789012345678901234567890123456789012345678901234"
	  "\nsecret-file /s\n}\n" MIN, 2, "node: longer than 63 bytes" },
	{ "node twice", "cluster {\nnode a\nnode b\nsecret-file /s\n}\n" MIN,
	  3, "node: given twice (first at line 2)" },
	{ "relative secret-file", "cluster {\nnode n\nsecret-file s\n}\n"
	  MIN, 3, "secret-file: 's' is not an absolute path" },
	{ "redis not an endpoint",
	  "cluster {\nnode n\nsecret-file /s\nredis localhost:6379\n}\n"
	  MIN, 4, "redis: 'localhost:6379' is not ADDRESS:PORT" },
	{ "redis without port",
	  "cluster {\nnode n\nsecret-file /s\nredis 192.0.2.9\n}\n" MIN,
	  4, "redis: '192.0.2.9' is not ADDRESS:PORT" },
	{ "cluster twice", "cluster {\nnode n\nsecret-file /s\n}\n"
	  "cluster {\n}\n" MIN, 5, "cluster: given twice (first at line 1)" },
	{ "cluster not closed", MIN "cluster {\nnode n\n", 6,
	  "cluster block not closed" },
};

/*
 * Parse and compare with what is expected: valid, or the exact
 * "NAME:LINE: " prefix and a part of the message. Returns the config of a
 * valid text (for the caller to conf_free()), else NULL.
 */
static struct siplb_conf *check_parse(const char *what, const char *name,
				      const char *text, size_t len,
				      unsigned int line, const char *msg)
{
	struct siplb_conf *conf = (struct siplb_conf *)1;
	char err[512], prefix[64];
	int ret;

	ret = conf_parse_buffer(name, text, len, &conf, err, sizeof(err));
	if (!msg) {
		if (!ASSERT_OK(ret, what) || !ASSERT_TRUE(conf, what))
			fprintf(stderr, "  error: %s\n", err);
		ASSERT_EQ(err[0], '\0', "no message for a valid text");
		return conf;
	}
	ASSERT_EQ(ret, -EINVAL, what);
	ASSERT_TRUE(conf == NULL, "no config on error");
	snprintf(prefix, sizeof(prefix), "%s:%u: ", name, line);
	if (!ASSERT_TRUE(strncmp(err, prefix, strlen(prefix)) == 0, what) ||
	    !ASSERT_TRUE(strstr(err + strlen(prefix), msg), what))
		fprintf(stderr, "  got      \"%s\"\n  expected \"%s%s\"\n", err,
			prefix, msg);
	conf_free(conf);
	return NULL;
}

static void check_case(const struct conf_case *c)
{
	conf_free(check_parse(c->what, NAME, c->text, strlen(c->text), c->line,
			      c->msg));
}

TEST(config_table)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
}

TEST(config_error_format_is_file_line_message)
{
	static const char text[] = IN_VIP4 "backend [2001:db8::1]:5060\n}\n";
	char err[256];
	struct siplb_conf *conf;
	int ret;

	ret = conf_parse_buffer("siplb.conf", text, strlen(text), &conf, err,
				sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "family mismatch is an error");
	ASSERT_TRUE(!strcmp(err, "siplb.conf:4: backend [2001:db8::1]:5060: "
				 "address family differs from its VIP's"),
		    "the whole message");
	ret = conf_parse_buffer("/etc/siplb/siplb.conf", REQ, strlen(REQ),
				&conf, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "no vip is an error");
	ASSERT_TRUE(!strcmp(err, "/etc/siplb/siplb.conf:0: vip: missing "
				 "(at least one is required)"),
		    "a missing directive is reported at line 0");
}

TEST(config_defaults_when_blocks_absent)
{
	struct siplb_conf *c;

	c = check_parse("minimal", NAME, MIN, strlen(MIN), 0, NULL);
	if (!c)
		return;
	ASSERT_TRUE(!strcmp(c->path, NAME), "path as given");
	ASSERT_TRUE(!strcmp(c->pin_dir, SIPLB_PIN_DIR_DEFAULT), "pin-dir");
	ASSERT_EQ(c->ninterfaces, 0, "no interface: adopt");
	ASSERT_EQ(c->xdp_mode, ATTACH_AUTO, "xdp-mode");
	ASSERT_EQ(c->affinity_size, SIPLB_AFFINITY_SIZE, "affinity-size");
	ASSERT_TRUE(!strcmp(c->control_socket, "/run/siplb/siplbd.sock"),
		    "control-socket");
	ASSERT_TRUE(!strcmp(c->state_path, ""), "no state-file");
	ASSERT_EQ(c->state_interval, 10, "state-file interval");
	ASSERT_TRUE(!strcmp(c->realm, "example.com"), "realm");
	ASSERT_TRUE(!strcmp(c->users_path, "/etc/siplb/users"), "users");
	ASSERT_EQ(c->registrar.default_expires, 3600, "default-expires");
	ASSERT_EQ(c->registrar.min_expires, 60, "min-expires");
	ASSERT_EQ(c->registrar.max_expires, 7200, "max-expires");
	ASSERT_EQ(c->registrar.max_contacts, 10, "max-contacts");
	ASSERT_EQ(c->registrar.max_bindings, 1048576, "max-bindings");
	ASSERT_EQ(c->auth.nonce_lifetime, 300, "nonce-lifetime");
	ASSERT_EQ(c->auth.block_threshold, 5, "block-threshold");
	ASSERT_EQ(c->auth.block_window, 60, "block-window");
	ASSERT_EQ(c->auth.block_time, 600, "block-time");
	ASSERT_EQ(c->health.interval, 2, "interval");
	ASSERT_EQ(c->health.timeout, 1, "timeout");
	ASSERT_EQ(c->health.down_after, 3, "down-after");
	ASSERT_EQ(c->health.up_after, 2, "up-after");
	ASSERT_TRUE(status_set_has(&c->health.alive, 200) &&
		    status_set_has(&c->health.alive, 404) &&
		    status_set_has(&c->health.alive, 499),
		    "alive-codes: 200..499 alive");
	ASSERT_TRUE(!status_set_has(&c->health.alive, 408) &&
		    !status_set_has(&c->health.alive, 500) &&
		    !status_set_has(&c->health.alive, 503) &&
		    !status_set_has(&c->health.alive, 603) &&
		    !status_set_has(&c->health.alive, 180),
		    "alive-codes: not 408, 5xx, 6xx, provisional");
	ASSERT_EQ(c->health.retry_after_max, 300, "retry-after-max");
	ASSERT_TRUE(c->health.passive, "passive on");
	ASSERT_EQ(c->health.passive_silence, 1000, "passive-silence");
	ASSERT_EQ(c->health.passive_min_requests, 5, "passive-min-requests");
	ASSERT_EQ(c->health.passive_error_share, 50, "passive-error-share");
	ASSERT_EQ(c->health.passive_window, 2000, "passive-window");
	if (ASSERT_EQ(c->nvips, 1, "one vip") &&
	    ASSERT_EQ(c->vips[0].nbackends, 1, "one backend"))
		ASSERT_EQ(c->vips[0].backends[0].weight, 1, "weight 1");
	conf_free(c);
}

static const char full[] =
	"pin-dir /sys/fs/bpf/siplb\n"			/* 1 */
	"interface eth0\n"
	"interface eth1\n"
	"xdp-mode generic\n"
	"affinity-size 4096\n"				/* 5 */
	"control-socket /tmp/siplbd.sock\n"
	"realm sip.example.org\n"
	"users users.htdigest\n"
	"vip 192.0.2.1:5060 {\n"
	"\tbackend 10.0.0.1:5060\n"			/* 10 */
	"\tbackend 10.0.0.2:5080 weight 1000\n"
	"}\n"
	"vip [2001:db8::1]:5060 {\n"
	"\tbackend [2001:db8::11]:5060 weight 3\n"
	"}\n"						/* 15 */
	"registrar {\n"
	"\tdefault-expires 1200\n"
	"\tmin-expires 30\n"
	"\tmax-expires 86400\n"
	"\tmax-contacts 100\n"				/* 20 */
	"\tmax-bindings 16777216\n"
	"}\n"
	"auth {\n"
	"\tnonce-lifetime 60\n"
	"\tblock-threshold 10\n"			/* 25 */
	"\tblock-window 120\n"
	"\tblock-time 0\n"
	"}\n"
	"health {\n"
	"\tinterval 5\n"				/* 30 */
	"\ttimeout 4\n"
	"\tdown-after 1\n"
	"\tup-after 7\n"
	"}\n";

static bool endpoint_is(const struct siplb_endpoint *ep, const char *text)
{
	char buf[ENDPOINT_STRLEN];

	return !strcmp(endpoint_format(ep, buf, sizeof(buf)), text);
}

static void check_full_vips(const struct siplb_conf *c)
{
	const struct conf_vip *v = c->vips;

	if (!ASSERT_EQ(c->nvips, 2, "two vips") ||
	    !ASSERT_EQ(v[0].nbackends, 2, "vip 1 has two backends") ||
	    !ASSERT_EQ(v[1].nbackends, 1, "vip 2 has one backend"))
		return;
	ASSERT_TRUE(endpoint_is(&v[0].ep, "192.0.2.1:5060"), "vip 1");
	ASSERT_EQ(v[0].line, 9, "vip 1 line");
	ASSERT_TRUE(endpoint_is(&v[0].backends[0].ep, "10.0.0.1:5060"),
		    "backend 1");
	ASSERT_EQ(v[0].backends[0].weight, 1, "default weight");
	ASSERT_EQ(v[0].backends[0].line, 10, "backend 1 line");
	ASSERT_TRUE(endpoint_is(&v[0].backends[1].ep, "10.0.0.2:5080"),
		    "backend 2");
	ASSERT_EQ(v[0].backends[1].weight, 1000, "weight 1000");
	ASSERT_TRUE(endpoint_is(&v[1].ep, "[2001:db8::1]:5060"), "IPv6 vip");
	ASSERT_EQ(v[1].ep.family, SIPLB_AF_INET6, "IPv6 family");
	ASSERT_TRUE(endpoint_is(&v[1].backends[0].ep, "[2001:db8::11]:5060"),
		    "IPv6 backend");
	ASSERT_EQ(v[1].backends[0].weight, 3, "weight 3");
}

TEST(config_every_directive_stored)
{
	struct siplb_conf *c;

	c = check_parse("full", "/etc/siplb/siplb.conf", full, strlen(full), 0,
			NULL);
	if (!c)
		return;
	ASSERT_TRUE(!strcmp(c->pin_dir, "/sys/fs/bpf/siplb"), "pin-dir");
	if (ASSERT_EQ(c->ninterfaces, 2, "two interfaces")) {
		ASSERT_TRUE(!strcmp(c->interfaces[0], "eth0"), "eth0");
		ASSERT_TRUE(!strcmp(c->interfaces[1], "eth1"), "eth1");
	}
	ASSERT_EQ(c->xdp_mode, ATTACH_GENERIC, "xdp-mode");
	ASSERT_EQ(c->affinity_size, 4096, "affinity-size");
	ASSERT_TRUE(!strcmp(c->control_socket, "/tmp/siplbd.sock"),
		    "control-socket");
	ASSERT_TRUE(!strcmp(c->realm, "sip.example.org"), "realm");
	ASSERT_TRUE(!strcmp(c->users_path, "/etc/siplb/users.htdigest"),
		    "users next to the config");
	check_full_vips(c);
	ASSERT_EQ(c->registrar.default_expires, 1200, "default-expires");
	ASSERT_EQ(c->registrar.min_expires, 30, "min-expires");
	ASSERT_EQ(c->registrar.max_expires, 86400, "max-expires");
	ASSERT_EQ(c->registrar.max_contacts, 100, "max-contacts");
	ASSERT_EQ(c->registrar.max_bindings, 16777216, "max-bindings");
	ASSERT_EQ(c->auth.nonce_lifetime, 60, "nonce-lifetime");
	ASSERT_EQ(c->auth.block_threshold, 10, "block-threshold");
	ASSERT_EQ(c->auth.block_window, 120, "block-window");
	ASSERT_EQ(c->auth.block_time, 0, "block-time");
	ASSERT_EQ(c->health.interval, 5, "interval");
	ASSERT_EQ(c->health.timeout, 4, "timeout");
	ASSERT_EQ(c->health.down_after, 1, "down-after");
	ASSERT_EQ(c->health.up_after, 7, "up-after");
	conf_free(c);
}

/* The guard block stored, and what siplbd publishes from it. */
TEST(config_passive_and_codes_stored)
{
	static const char text[] =
		"health {\n"
		"alive-codes 200-599 !500-502 !408 503\n"
		"retry-after-max 0\n"
		"passive off\n"
		"passive-silence 500\n"
		"passive-min-requests 3\n"
		"passive-error-share 20\n"
		"passive-window 800\n"
		"}\n" MIN;
	struct siplb_conf *c = check_parse("passive", NAME, text,
					   strlen(text), 0, NULL);

	if (!c)
		return;
	ASSERT_TRUE(status_set_has(&c->health.alive, 200) &&
		    status_set_has(&c->health.alive, 503) &&
		    status_set_has(&c->health.alive, 599),
		    "ranges and a single code added");
	ASSERT_TRUE(!status_set_has(&c->health.alive, 500) &&
		    !status_set_has(&c->health.alive, 502) &&
		    !status_set_has(&c->health.alive, 408) &&
		    !status_set_has(&c->health.alive, 600),
		    "'!' takes codes out, in order");
	ASSERT_EQ(c->health.retry_after_max, 0, "retry-after-max");
	ASSERT_TRUE(!c->health.passive, "passive off");
	ASSERT_EQ(c->health.passive_silence, 500, "passive-silence");
	ASSERT_EQ(c->health.passive_min_requests, 3, "passive-min-requests");
	ASSERT_EQ(c->health.passive_error_share, 20, "passive-error-share");
	ASSERT_EQ(c->health.passive_window, 800, "passive-window");
	conf_free(c);
}

TEST(config_guard_stored_and_built)
{
	const char *text =
		"guard {\n"
		"budget REGISTER 5 10\n"		/* 2 */
		"budget other 1 3\n"
		"registered-budget 7 70\n"
		"strict-dialogs on\n"
		"trunk 192.0.2.0/24\n"		/* 5 */
		"trunk 2001:db8:5::/48\n"
		"block-scanners on\n"
		"scanner Evil-Dialer/2\n"
		"}\n" MIN;
	struct siplb_conf *c = NULL;
	struct siplb_guard g;
	const struct siplb_trunk_key *k;
	char err[256];
	size_t i;

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_EQ(c->guard.budget[SIPLB_METHOD_REGISTER].rate, 5, "rate");
	ASSERT_EQ(c->guard.budget[SIPLB_METHOD_REGISTER].burst, 10, "burst");
	ASSERT_EQ(c->guard.budget[SIPLB_METHOD_INVITE].rate, 0,
		  "INVITE not given: unlimited");
	ASSERT_EQ(c->guard.budget[SIPLB_METHOD_OTHER].burst, 3, "other");
	ASSERT_TRUE(c->guard.strict, "strict");
	if (ASSERT_EQ(c->guard.ntrunks, 2, "two trunks")) {
		k = &c->guard.trunks[0].key;
		ASSERT_EQ(k->prefixlen, 8 + 24, "IPv4 prefix length + family");
		ASSERT_EQ(k->family, SIPLB_AF_INET, "IPv4 family");
		ASSERT_EQ(k->addr[0], 192, "IPv4 address");
		ASSERT_EQ(k->addr[2], 2, "IPv4 address");
		k = &c->guard.trunks[1].key;
		ASSERT_EQ(k->prefixlen, 8 + 48, "IPv6 prefix length + family");
		ASSERT_EQ(k->family, SIPLB_AF_INET6, "IPv6 family");
		ASSERT_EQ(k->addr[5], 5, "IPv6 address");
		ASSERT_EQ(c->guard.trunks[1].line, 7, "trunk line kept");
	}
	ASSERT_EQ(c->guard.nscanners, conf_nbuiltin_scanners + 1,
		  "built-in signatures and one of the file's");
	ASSERT_TRUE(!strcmp(c->guard.scanners[c->guard.nscanners - 1],
			    "Evil-Dialer/2"), "the file's signature last");

	guard_build(c, &g);
	ASSERT_EQ(g.enabled, 1, "enabled");
	ASSERT_EQ(g.strict, 1, "strict published");
	ASSERT_EQ(g.nscanners, c->guard.nscanners, "signatures published");
	ASSERT_EQ(g.budget[SIPLB_METHOD_REGISTER].rate, 5, "budget published");
	ASSERT_EQ(g.registered.rate, 7, "registered-budget rate published");
	ASSERT_EQ(g.registered.burst, 70, "registered-budget burst published");
	/* "friendly-scanner": 16 bytes, letters folded, all bytes masked. */
	ASSERT_EQ(g.scanner[0].len, 16, "first signature length");
	ASSERT_EQ(g.scanner[0].mask[1], ~0ULL, "16 bytes masked");
	ASSERT_EQ(g.scanner[0].word[0] & 0xff, 'f', "first byte");
	ASSERT_EQ(g.scanner[0].fold[0] & 0xff, 0x20, "a letter is folded");
	i = c->guard.nscanners - 1;	/* "Evil-Dialer/2" */
	ASSERT_EQ(g.scanner[i].len, 13, "own signature length");
	ASSERT_EQ(g.scanner[i].word[0] & 0xff, 'e', "stored lower-case");
	ASSERT_EQ((g.scanner[i].fold[0] >> 32) & 0xff, 0, "'-' not folded");
	ASSERT_EQ(g.scanner[i].mask[1], 0xffffffffffULL, "5 bytes in word 2");
	conf_free(c);

	/* Off by default: nothing published turns the program's guard on. */
	text = "guard {\nblock-scanners off\nbudget INVITE off\n}\n" MIN;
	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	guard_build(c, &g);
	ASSERT_EQ(g.enabled, 0, "all off: guard disabled");
	ASSERT_EQ(g.nscanners, 0, "no signatures");
	conf_free(c);

	/* registered-budget alone turns the program's guard on. */
	text = "guard {\nregistered-budget 1 1\n}\n" MIN;
	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	guard_build(c, &g);
	ASSERT_EQ(g.enabled, 1, "registered-budget: guard enabled");
	conf_free(c);
}

TEST(config_event_servers_stored)
{
	const char *text = "event-server message-summary 192.0.2.50:5060\n"
			   "event-server presence 192.0.2.51:5070\n" MIN;
	struct siplb_conf *c = NULL;
	char err[256];

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	if (ASSERT_EQ(c->nevent_servers, 2, "two event servers")) {
		ASSERT_TRUE(!strcmp(c->event_servers[0].package,
				    "message-summary"), "first package");
		ASSERT_TRUE(endpoint_is(&c->event_servers[1].server,
					"192.0.2.51:5070"), "second server");
		ASSERT_EQ(c->event_servers[1].line, 2, "its line");
	}
	conf_free(c);
}

/* The policy block stored, and its secure defaults. */
TEST(config_policy_stored)
{
	const char *text = "policy {\n"
			   "caller-auth off\n"
			   "relay authenticated\n"
			   "inbound authenticated\n"
			   "alias bob alice carol\n"	/* 5 */
			   "}\n" MIN;
	struct siplb_conf *c = NULL;
	char err[256];

	c = check_parse("minimal", NAME, MIN, strlen(MIN), 0, NULL);
	if (!c)
		return;
	ASSERT_TRUE(c->policy.caller_auth, "caller-auth on by default");
	ASSERT_EQ(c->policy.relay, CONF_RELAY_OFF, "relay off by default");
	ASSERT_EQ(c->policy.inbound, CONF_INBOUND_FROM_ANYONE,
		  "inbound from-anyone by default");
	ASSERT_EQ(c->policy.naliases, 0, "no alias by default");
	conf_free(c);

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_FALSE(c->policy.caller_auth, "caller-auth off");
	ASSERT_EQ(c->policy.relay, CONF_RELAY_AUTHENTICATED, "relay");
	ASSERT_EQ(c->policy.inbound, CONF_INBOUND_AUTHENTICATED, "inbound");
	if (ASSERT_EQ(c->policy.naliases, 2, "one pair per alias")) {
		ASSERT_TRUE(!strcmp(c->policy.aliases[0].user, "bob") &&
				    !strcmp(c->policy.aliases[0].alias, "alice"),
			    "bob alice");
		ASSERT_TRUE(!strcmp(c->policy.aliases[1].user, "bob") &&
				    !strcmp(c->policy.aliases[1].alias, "carol"),
			    "bob carol");
		ASSERT_EQ(c->policy.aliases[1].line, 5, "alias line kept");
	}
	conf_free(c);
}

/* A worker section stored as siplb-worker -n NAME reads it. */
TEST(config_worker_stored)
{
	const char *text = MIN
		"worker edge-1 {\n"			/* 6 */
		"listen [2001:db8::2]:5070\n"
		"domain example.com\n"
		"record-route sip.example.com:5060\n"
		"send-from off\n"
		"ring-timeout 30\n"
		"max-transactions 4096\n"
		"}\n"
		"worker b {\nlisten 10.0.0.2:5060\ndomain d\n}\n";	/* 14 */
	const struct conf_worker *w;
	struct siplb_conf *c = NULL;
	char err[256];

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_EQ(c->nworkers, 2, "two workers");
	w = conf_find_worker(c, "edge-1");
	if (ASSERT_TRUE(w, "edge-1 found")) {
		ASSERT_TRUE(!strcmp(w->listen, "[2001:db8::2]:5070"), "listen");
		ASSERT_EQ(w->listen_ep.family, SIPLB_AF_INET6, "IPv6");
		ASSERT_TRUE(!strcmp(w->domain, "example.com"), "domain");
		ASSERT_TRUE(!strcmp(w->record_route, "sip.example.com:5060"),
			    "record-route");
		ASSERT_TRUE(!strcmp(w->send_from, "off"), "send-from");
		ASSERT_EQ(w->ring_timeout, 30, "ring-timeout");
		ASSERT_EQ(w->max_transactions, 4096, "max-transactions");
		ASSERT_EQ(w->line, 6, "line");
	}
	w = conf_find_worker(c, "b");
	if (ASSERT_TRUE(w, "b found")) {
		ASSERT_TRUE(!strcmp(w->record_route, ""), "no record-route");
		ASSERT_TRUE(!strcmp(w->send_from, ""), "send-from default");
		ASSERT_EQ(w->ring_timeout, 0, "ring-timeout default");
		ASSERT_EQ(w->max_transactions, 0, "max-transactions default");
		ASSERT_EQ(w->line, 14, "line");
	}
	ASSERT_TRUE(conf_find_worker(c, "edge") == NULL, "no prefix match");
	conf_free(c);
}

/* siplb-worker -c FILE -n NAME: the block fills what the command line
 * left out, the command line wins, and an unknown name is -ENOENT. */
TEST(config_worker_args_from_block)
{
	const char *text = "pin-dir /sys/fs/bpf/t\n" MIN
		"worker w1 {\nlisten 10.0.0.1:5060\ndomain example.com\n"
		"record-route 192.0.2.1:5060\nring-timeout 30\n}\n";
	struct worker_args a = { .name = "w1", .domain = "cli.example",
				 .max_txns = 77 };
	struct worker_args bare = { 0 }, none = { .name = "w2" };
	struct siplb_conf *c = NULL;
	char err[256];

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_OK(worker_args_from_conf(&a, c), "w1 found");
	ASSERT_TRUE(a.listen && !strcmp(a.listen, "10.0.0.1:5060"),
		    "listen from the block");
	ASSERT_TRUE(!strcmp(a.domain, "cli.example"), "-d wins");
	ASSERT_TRUE(a.rr && !strcmp(a.rr, "192.0.2.1:5060"), "record-route");
	ASSERT_TRUE(a.source == NULL, "send-from not given: default");
	ASSERT_EQ(a.timer_c_s, 30, "ring-timeout");
	ASSERT_EQ(a.max_txns, 77, "-t wins");
	ASSERT_TRUE(a.pin_dir && !strcmp(a.pin_dir, "/sys/fs/bpf/t"),
		    "pin-dir from the top level");
	ASSERT_TRUE(a.users && !strcmp(a.users, "/etc/siplb/users"),
		    "users from the top level");
	ASSERT_OK(worker_args_from_conf(&bare, c), "no name: only top level");
	ASSERT_TRUE(bare.listen == NULL, "no name: no listen");
	ASSERT_EQ(worker_args_from_conf(&none, c), -ENOENT, "unknown name");
	conf_free(c);
}

/* -G and -F against fork-group-timeout and max-redirects: 0 is a value
 * for both, so a block's 0 is used and a command line's 0 wins. */
TEST(config_worker_forking_from_block)
{
	const char *text = MIN
		"worker w1 {\nlisten 10.0.0.1:5060\ndomain example.com\n"
		"fork-group-timeout 0\nmax-redirects 3\n}\n"
		"worker w2 {\nlisten 10.0.0.2:5060\ndomain example.com\n}\n";
	struct worker_args from_block = { .name = "w1" };
	struct worker_args cli = { .name = "w1", .group_s = 7,
				   .group_set = true, .redirects = 0,
				   .redirects_set = true };
	struct worker_args unset = { .name = "w2" };
	struct siplb_conf *c = NULL;
	char err[256];

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_OK(worker_args_from_conf(&from_block, c), "w1 found");
	ASSERT_TRUE(from_block.group_set, "fork-group-timeout 0 is given");
	ASSERT_EQ(from_block.group_s, 0, "fork-group-timeout 0 kept");
	ASSERT_EQ(from_block.redirects, 3, "max-redirects from the block");
	ASSERT_OK(worker_args_from_conf(&cli, c), "w1 with -G 7 -F 0");
	ASSERT_EQ(cli.group_s, 7, "-G wins");
	ASSERT_EQ(cli.redirects, 0, "-F 0 wins over max-redirects 3");
	ASSERT_OK(worker_args_from_conf(&unset, c), "w2 found");
	ASSERT_FALSE(unset.group_set, "no fork-group-timeout: the default");
	ASSERT_EQ(unset.redirects, 0, "no max-redirects: relay 3xx");
	conf_free(c);
}

TEST(config_algorithms_order_kept)
{
	const char *text = "auth {\nalgorithms MD5 SHA-512-256 SHA-256\n}\n" MIN;
	struct siplb_conf *c = NULL;
	char err[256];

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_EQ(c->auth.digest.dflt.n, 3, "three algorithms");
	ASSERT_EQ(c->auth.digest.dflt.algs[0], DIGEST_ALG_MD5, "MD5 first");
	ASSERT_EQ(c->auth.digest.dflt.algs[1], DIGEST_ALG_SHA512_256,
		  "then SHA-512-256");
	ASSERT_EQ(c->auth.digest.dflt.algs[2], DIGEST_ALG_SHA256,
		  "then SHA-256");
	conf_free(c);

	text = MIN;
	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	/* MD5 alone since baresip 1.0 refuses any 401 with a SHA-256 one */
	ASSERT_EQ(c->auth.digest.dflt.n, 1, "default: one algorithm");
	ASSERT_EQ(c->auth.digest.dflt.algs[0], DIGEST_ALG_MD5,
		  "default: MD5 (as Kamailio and Asterisk)");
	ASSERT_EQ(c->auth.digest.nrules, 0, "default: no User-Agent rules");
	conf_free(c);
}

/* user-agent-algorithms lines are kept in file order with their lists. */
TEST(config_user_agent_algorithms_stored)
{
	const char *text = "auth {\n"
			   "user-agent-algorithms Linphone* SHA-256 MD5\n"
			   "user-agent-algorithms *acme?phone* SHA-512-256\n"
			   "}\n" MIN;
	const struct digest_ua_rule *r;
	struct siplb_conf *c = NULL;
	char err[256];

	if (!ASSERT_OK(conf_parse_buffer(NAME, text, strlen(text), &c, err,
					 sizeof(err)), err))
		return;
	ASSERT_EQ(c->auth.digest.nrules, 2, "two rules");
	r = &c->auth.digest.rules[0];
	ASSERT_TRUE(!strcmp(r->pattern, "Linphone*"), "first pattern");
	ASSERT_EQ(r->list.n, 2, "first: two algorithms");
	ASSERT_EQ(r->list.algs[0], DIGEST_ALG_SHA256, "first: SHA-256 first");
	ASSERT_EQ(r->list.algs[1], DIGEST_ALG_MD5, "first: then MD5");
	r = &c->auth.digest.rules[1];
	ASSERT_TRUE(!strcmp(r->pattern, "*acme?phone*"), "second pattern");
	ASSERT_EQ(r->list.n, 1, "second: one algorithm");
	ASSERT_EQ(r->list.algs[0], DIGEST_ALG_SHA512_256,
		  "second: SHA-512-256");
	ASSERT_EQ(c->auth.digest.dflt.n, 1, "the default stays MD5 alone");
	conf_free(c);
}

TEST(config_state_file_stored)
{
	static const char text[] = "state-file /var/lib/siplb/state 30\n" MIN;
	struct siplb_conf *c;

	c = check_parse("state-file", NAME, text, strlen(text), 0, NULL);
	if (!c)
		return;
	ASSERT_TRUE(!strcmp(c->state_path, "/var/lib/siplb/state"),
		    "state-file path");
	ASSERT_EQ(c->state_interval, 30, "state-file interval");
	conf_free(c);
}

TEST(config_metrics_and_xdp_replace_stored)
{
	static const char text[] = "metrics 127.0.0.1:9260\nxdp-replace on\n"
				   MIN;
	struct siplb_conf *c;

	c = check_parse("metrics", NAME, text, strlen(text), 0, NULL);
	if (!c)
		return;
	ASSERT_TRUE(c->metrics_on, "metrics on");
	ASSERT_EQ(ntohs(c->metrics.port), 9260, "metrics port");
	ASSERT_TRUE(c->xdp_replace, "xdp-replace on");
	conf_free(c);
	c = check_parse("minimal", NAME, MIN, strlen(MIN), 0, NULL);
	if (!c)
		return;
	ASSERT_FALSE(c->metrics_on, "metrics off by default");
	ASSERT_FALSE(c->xdp_replace, "xdp-replace off by default");
	conf_free(c);
}

TEST(config_xdp_challenge_stored)
{
	static const char text[] = "auth {\nxdp-challenge off\n}\n" MIN;
	struct siplb_conf *c;

	c = check_parse("xdp-challenge off", NAME, text, strlen(text), 0,
			NULL);
	if (!c)
		return;
	ASSERT_FALSE(c->auth.xdp_challenge, "xdp-challenge off");
	conf_free(c);
	c = check_parse("minimal", NAME, MIN, strlen(MIN), 0, NULL);
	if (!c)
		return;
	ASSERT_TRUE(c->auth.xdp_challenge, "xdp-challenge on by default");
	conf_free(c);
}

TEST(config_users_path_relative_to_config)
{
	static const struct {
		const char *config, *users, *want;
	} cases_[] = {
		{ "/etc/siplb/siplb.conf", "users.htdigest",
		  "/etc/siplb/users.htdigest" },
		{ "/etc/siplb/siplb.conf", "/srv/users", "/srv/users" },
		{ "/etc/siplb/siplb.conf", "../users", "/etc/siplb/../users" },
		{ "conf/siplb.conf", "sub/users", "conf/sub/users" },
		{ "siplb.conf", "users", "users" },	/* dir "." = cwd */
		{ "/siplb.conf", "users", "/users" },
	};
	char text[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases_); i++) {
		struct siplb_conf *c;

		snprintf(text, sizeof(text), "realm r\nusers %s\n" VIP4,
			 cases_[i].users);
		c = check_parse(cases_[i].config, cases_[i].config, text,
				strlen(text), 0, NULL);
		if (c && !ASSERT_TRUE(!strcmp(c->users_path, cases_[i].want),
				      cases_[i].config))
			fprintf(stderr, "  got %s, expected %s\n",
				c->users_path, cases_[i].want);
		conf_free(c);
	}
}

/*
 * The shipped example parses, and every tunable it shows has the value
 * the parser uses when it is left out: its comments say "default" and
 * this keeps them true.
 */
static void check_shipped_budgets(const struct siplb_conf *ex,
				  const struct siplb_conf *dflt)
{
	int i;

	for (i = 0; i < SIPLB_METHOD_CLASSES; i++) {
		ASSERT_TRUE(ex->guard.budget[i].rate > 0 &&
				    ex->guard.budget[i].burst >=
					    ex->guard.budget[i].rate,
			    "shipped: a budget for every class");
		ASSERT_EQ(dflt->guard.budget[i].rate, 0,
			  "no guard block: unlimited");
	}
	ASSERT_TRUE(ex->guard.registered.rate > 0, "shipped: registered-budget");
	ASSERT_EQ(dflt->guard.registered.rate, 0, "no guard block: off");
	ASSERT_EQ(ex->nevent_servers, 0, "no event server by default");
}

TEST(config_example_file)
{
	const char *etc = getenv("SIPLB_ETC");
	struct siplb_conf *ex = NULL, *dflt;
	char path[512], err[512];
	int ret;

	snprintf(path, sizeof(path), "%s/siplb.conf", etc ? etc : "etc");
	ret = conf_load(path, &ex, err, sizeof(err));
	if (!ASSERT_OK(ret, path)) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	dflt = check_parse("minimal", NAME, MIN, strlen(MIN), 0, NULL);
	if (!dflt) {
		conf_free(ex);
		return;
	}
	ASSERT_TRUE(ex->realm[0] && ex->users_path[0], "required given");
	ASSERT_GE(ex->nvips, 1, "a vip");
	ASSERT_TRUE(!strcmp(ex->pin_dir, dflt->pin_dir), "pin-dir default");
	ASSERT_EQ(ex->xdp_mode, dflt->xdp_mode, "xdp-mode default");
	ASSERT_EQ(ex->affinity_size, dflt->affinity_size, "affinity default");
	ASSERT_TRUE(!strcmp(ex->control_socket, dflt->control_socket),
		    "control-socket default");
	ASSERT_MEM_EQ(&ex->registrar, &dflt->registrar,
		      sizeof(ex->registrar), "registrar defaults");
	ASSERT_MEM_EQ(&ex->auth, &dflt->auth, sizeof(ex->auth),
		      "auth defaults");
	ASSERT_MEM_EQ(&ex->health, &dflt->health, sizeof(ex->health),
		      "health defaults");
	/* Safe defaults as shipped (docs/SECURITY.md): every budget on, for
	 * strangers and for registered sources; without a guard block, off. */
	check_shipped_budgets(ex, dflt);
	ASSERT_EQ(ex->guard.strict, dflt->guard.strict, "strict default");
	ASSERT_EQ(ex->guard.block_scanners, dflt->guard.block_scanners,
		  "block-scanners default");
	ASSERT_EQ(ex->guard.ntrunks, 0, "no trunk by default");
	ASSERT_EQ(ex->policy.caller_auth, dflt->policy.caller_auth,
		  "caller-auth default");
	ASSERT_EQ(ex->policy.relay, dflt->policy.relay, "relay default");
	ASSERT_EQ(ex->policy.inbound, dflt->policy.inbound, "inbound default");
	ASSERT_EQ(ex->policy.naliases, 0, "no alias by default");
	conf_free(dflt);
	conf_free(ex);
}

static int write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -EIO;
	close(fd);
	return err;
}

TEST(config_load_from_file)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64], want[128];
	char err[512];
	struct siplb_conf *c = NULL;
	const char *text = "realm r\nusers users.htdigest\n" VIP4;
	int ret;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/siplb.conf", dir);
	if (ASSERT_OK(write_file(path, text, strlen(text)), "write")) {
		ret = conf_load(path, &c, err, sizeof(err));
		if (ASSERT_OK(ret, "load") && c) {
			snprintf(want, sizeof(want), "%s/users.htdigest", dir);
			ASSERT_TRUE(!strcmp(c->users_path, want),
				    "users next to the config file");
			ASSERT_TRUE(!strcmp(c->path, path), "path kept");
		}
		conf_free(c);
		/* An error in a file names the file as given. */
		write_file(path, "realm r\nbogus\n", 14);
		ret = conf_load(path, &c, err, sizeof(err));
		snprintf(want, sizeof(want), "%s:2: unknown directive 'bogus'",
			 path);
		ASSERT_EQ(ret, -EINVAL, "bad file");
		ASSERT_TRUE(!strcmp(err, want), "file:line in the message");
		unlink(path);
	}
	/* A directory is not a config file. */
	ret = conf_load(dir, &c, err, sizeof(err));
	ASSERT_EQ(ret, -EISDIR, "directory");
	ASSERT_TRUE(c == NULL, "no config");
	rmdir(dir);
}

/* dialog-secret-file: next to the config, read when parsed (so that -n
 * tells), 16..4096 bytes, errors at FILE:LINE. */
TEST(config_dialog_secret_file)
{
	static const struct {
		const char *what;
		const char *key;	/* the key file's text; NULL: none */
		size_t len;
		const char *msg;	/* after "FILE:3: dialog-secret-file:
					 * KEYFILE"; NULL: valid */
	} cases_[] = {
		{ "32 bytes", "0123456789abcdef0123456789abcdef", 32, NULL },
		{ "16 bytes, the least", "0123456789abcdef", 16, NULL },
		{ "15 bytes", "0123456789abcde", 15,
		  ": the secret must be 16 to 4096 bytes" },
		{ "empty", "", 0, ": the secret must be 16 to 4096 bytes" },
		{ "missing", NULL, 0, ": No such file or directory" },
	};
	char dir[] = "/tmp/test_config.XXXXXX", path[64], key[64];
	char err[1024], want[1024], text[256];
	struct siplb_conf *c = NULL;
	size_t i;
	int ret;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/siplb.conf", dir);
	snprintf(key, sizeof(key), "%s/rr.key", dir);
	snprintf(text, sizeof(text), REQ "dialog-secret-file rr.key\n" VIP4);
	write_file(path, text, strlen(text));
	for (i = 0; i < ARRAY_SIZE(cases_); i++) {
		unlink(key);
		if (cases_[i].key)
			write_file(key, cases_[i].key, cases_[i].len);
		ret = conf_load(path, &c, err, sizeof(err));
		if (!cases_[i].msg) {
			if (ASSERT_OK(ret, cases_[i].what) && c)
				ASSERT_TRUE(!strcmp(c->dialog_secret_path, key),
					    "the key path next to the config");
			conf_free(c);
			c = NULL;
			continue;
		}
		ASSERT_EQ(ret, -EINVAL, cases_[i].what);
		snprintf(want, sizeof(want), "%s:3: dialog-secret-file: %s%s",
			 path, key, cases_[i].msg);
		testlib_report(!strncmp(err, want, strlen(want)), __FILE__,
			       __LINE__, cases_[i].what,
			       "error \"%s\", expected \"%s...\"", err, want);
	}
	/* Without the directive: none, and nothing read. */
	write_file(path, MIN, strlen(MIN));
	if (ASSERT_OK(conf_load(path, &c, err, sizeof(err)), "none") && c)
		ASSERT_EQ(c->dialog_secret_path[0], '\0', "no key by default");
	conf_free(c);
	unlink(key);
	unlink(path);
	rmdir(dir);
}

TEST(config_missing_file)
{
	const char *path = "/nonexistent/siplb/siplb.conf";
	struct siplb_conf *c = (struct siplb_conf *)1;
	char err[512];
	int ret;

	ret = conf_load(path, &c, err, sizeof(err));
	ASSERT_EQ(ret, -ENOENT, "missing file");
	ASSERT_TRUE(c == NULL, "no config");
	ASSERT_TRUE(!strcmp(err, "/nonexistent/siplb/siplb.conf: can't read: "
				 "No such file or directory"),
		    "message names the file and the reason");
}

TEST(config_file_too_large)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64], err[256];
	struct siplb_conf *c = (struct siplb_conf *)1;
	size_t len = CONF_FILE_MAX + 1, i;
	char *text = malloc(len);

	if (!ASSERT_TRUE(text, "malloc") ||
	    !ASSERT_TRUE(mkdtemp(dir), "mkdtemp")) {
		free(text);
		return;
	}
	/* Comment lines: valid in every way but their number. */
	for (i = 0; i < len; i++)
		text[i] = i % 64 == 63 ? '\n' : '#';
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	if (ASSERT_OK(write_file(path, text, len), "write")) {
		ASSERT_EQ(conf_load(path, &c, err, sizeof(err)), -EFBIG,
			  "more than CONF_FILE_MAX bytes");
		ASSERT_TRUE(strstr(err, "big.conf: can't read: file too large"),
			    "message");
		ASSERT_TRUE(c == NULL, "no config");
		/* Exactly CONF_FILE_MAX: read whole, fails on what it lacks. */
		write_file(path, text, len - 1);
		ASSERT_EQ(conf_load(path, &c, err, sizeof(err)), -EINVAL,
			  "CONF_FILE_MAX bytes are read");
		ASSERT_TRUE(strstr(err, ":0: realm: missing"),
			    "parsed to the end");
		unlink(path);
	}
	rmdir(dir);
	free(text);
}

/* REQ and n VIPs 192.0.x.y:5060, each with a backend 10.1.x.y:5060. */
static char *many_vips(int n)
{
	char *text = malloc(sizeof(REQ) + (size_t)n * 64), *p;
	int i;

	if (!text)
		return NULL;
	p = text + sprintf(text, "%s", REQ);
	for (i = 0; i < n; i++)
		p += sprintf(p, "vip 192.0.%d.%d:5060 {\n"
			     "backend 10.1.%d.%d:5060\n}\n",
			     i / 256, i % 256, i / 256, i % 256);
	return text;
}

/*
 * Two VIPs, one backend for the first and n for the second (10.1.x.y),
 * so that the limit is seen to be on backends in all.
 */
static char *many_backends(int n)
{
	static const char head[] = IN_VIP4 "backend 10.2.0.1:5060\n}\n"
				   "vip 192.0.2.2:5060 {\n";
	char *text = malloc(sizeof(head) + (size_t)n * 32 + 8), *p;
	int i;

	if (!text)
		return NULL;
	p = text + sprintf(text, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, "backend 10.1.%d.%d:5060\n", i / 256, i % 256);
	strcpy(p, "}\n");
	return text;
}

TEST(config_vip_limit)
{
	char *ok = many_vips(SIPLB_MAX_VIPS);
	char *bad = many_vips(SIPLB_MAX_VIPS + 1);

	if (ASSERT_TRUE(ok && bad, "malloc")) {
		conf_free(check_parse("16 vips", NAME, ok, strlen(ok), 0,
				      NULL));
		check_parse("17 vips", NAME, bad, strlen(bad),
			    3 + 3 * SIPLB_MAX_VIPS,
			    "vip 192.0.0.16:5060: more than 16 VIPs");
	}
	free(ok);
	free(bad);
}

TEST(config_backend_limit)
{
	char *ok = many_backends(SIPLB_MAX_BACKENDS - 2);
	char *bad = many_backends(SIPLB_MAX_BACKENDS - 1);

	if (ASSERT_TRUE(ok && bad, "malloc")) {
		conf_free(check_parse("1023 backends", NAME, ok, strlen(ok), 0,
				      NULL));
		/* Line 7 has the second VIP's first backend. */
		check_parse("1024 backends", NAME, bad, strlen(bad),
			    7 + SIPLB_MAX_BACKENDS - 2,
			    "backend 10.1.3.254:5060: more than 1023 backends");
	}
	free(ok);
	free(bad);
}

/* A line of exactly n bytes before its newline: "realm xxx...". */
static void check_long_line(size_t n, const char *msg)
{
	char *text = malloc(n + sizeof(MIN) + 1);
	char what[64];

	if (!ASSERT_TRUE(text, "malloc"))
		return;
	memset(text, 'x', n);
	memcpy(text, "# ", 2);
	text[n] = '\n';
	strcpy(text + n + 1, MIN);
	snprintf(what, sizeof(what), "line of %zu bytes", n);
	conf_free(check_parse(what, NAME, text, strlen(text), 1, msg));
	free(text);
}

TEST(config_line_length)
{
	check_long_line(CONF_LINE_MAX - 1, NULL);
	check_long_line(CONF_LINE_MAX, "line longer than 1023 bytes");
	check_long_line(CONF_LINE_MAX * 4, "line longer than 1023 bytes");
}

/* "DIRECTIVE xxx...x" with a value of n bytes after the prefix. */
static void check_string_length(const char *directive, const char *prefix,
				size_t n, const char *msg)
{
	char value[256], text[512], what[64];

	memset(value, 'x', n);
	memcpy(value, prefix, strlen(prefix));
	value[n] = '\0';
	snprintf(text, sizeof(text), "%s %s\n" MIN, directive, value);
	snprintf(what, sizeof(what), "%s of %zu bytes", directive, n);
	conf_free(check_parse(what, NAME, text, strlen(text), 1, msg));
}

TEST(config_string_lengths)
{
	check_string_length("control-socket", "/", CONF_SOCKET_MAX - 1, NULL);
	check_string_length("control-socket", "/", CONF_SOCKET_MAX,
			    "control-socket: longer than 107 bytes");
	/* Refused before MIN's own realm could count as a second one. */
	check_string_length("realm", "", CONF_REALM_MAX,
			    "realm: longer than 127 bytes");
}

TEST(config_realm_length_limit)
{
	char text[512];
	size_t n = CONF_REALM_MAX - 1;

	memset(text, 'r', sizeof(text));
	memcpy(text, "realm ", 6);
	snprintf(text + 6 + n, sizeof(text) - 6 - n, "\nusers /u\n" VIP4);
	conf_free(check_parse("realm of 127 bytes", NAME, text, strlen(text),
			      0, NULL));
}

TEST(config_buffer_is_not_a_string)
{
	size_t len = strlen(MIN);
	char *text = malloc(len);

	/* Exactly len bytes, no NUL: ASan catches a read past the end. */
	if (!ASSERT_TRUE(text, "malloc"))
		return;
	memcpy(text, MIN, len);
	conf_free(check_parse("unterminated buffer", NAME, text, len, 0, NULL));
	/* The length is what counts: a prefix is a (broken) config. */
	check_parse("prefix", NAME, text, len - 2, 3, "vip block not closed");
	free(text);
}

TEST(config_nul_byte)
{
	static const char text[] = "realm a\0b\n" MIN;

	check_parse("NUL in a line", NAME, text, sizeof(text) - 1, 1,
		    "control character 0x00 in the line");
}

TEST(config_error_buffer_edge_cases)
{
	struct siplb_conf *c;
	char small[12];

	ASSERT_EQ(conf_parse_buffer(NAME, "bogus\n", 6, &c, NULL, 0), -EINVAL,
		  "no error buffer");
	ASSERT_EQ(conf_parse_buffer(NAME, "bogus\n", 6, &c, small, 0), -EINVAL,
		  "error buffer of size 0");
	ASSERT_EQ(conf_parse_buffer(NAME, "bogus\n", 6, &c, small,
				    sizeof(small)),
		  -EINVAL, "small error buffer");
	ASSERT_TRUE(!strcmp(small, "test.conf:1"), "truncated, terminated");
	ASSERT_EQ(conf_load("/nonexistent", &c, NULL, 0), -ENOENT,
		  "no error buffer for a missing file");
	conf_free(NULL);
}

TEST(config_xdp_mode_names)
{
	ASSERT_TRUE(!strcmp(conf_xdp_mode_name(ATTACH_AUTO), "auto"), "auto");
	ASSERT_TRUE(!strcmp(conf_xdp_mode_name(ATTACH_NATIVE), "native"),
		    "native");
	ASSERT_TRUE(!strcmp(conf_xdp_mode_name(ATTACH_GENERIC), "generic"),
		    "generic");
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}

TEST(config_cluster_stored_without_secret)
{
	static const char text[] = "cluster {\nnode lb-a\n"
		"secret-file /etc/siplb/cluster.key\nredis [2001:db8::9]:6379\n"
		"}\n" MIN;
	struct siplb_conf *c, *plain;
	char buf[ENDPOINT_STRLEN];

	c = check_parse("cluster", NAME, text, strlen(text), 0, NULL);
	plain = check_parse("no cluster", NAME, MIN, strlen(MIN), 0, NULL);
	if (!c || !plain)
		goto out;
	ASSERT_TRUE(c->cluster.enabled, "cluster enabled");
	ASSERT_TRUE(!strcmp(c->cluster.node, "lb-a"), "node name");
	ASSERT_TRUE(!strcmp(c->cluster.secret_path,
			    "/etc/siplb/cluster.key"), "secret path");
	ASSERT_EQ(c->cluster.secret_line, 3, "secret-file line");
	ASSERT_EQ(c->cluster.secret_len, 0, "the parser reads no file");
	ASSERT_TRUE(c->cluster.redis, "redis given");
	ASSERT_TRUE(!strcmp(endpoint_format(&c->cluster.redis_ep, buf,
					    sizeof(buf)),
			    "[2001:db8::9]:6379"), "redis endpoint");
	ASSERT_FALSE(plain->cluster.enabled, "no cluster by default");
	ASSERT_FALSE(plain->cluster.redis, "no redis by default");
out:
	conf_free(c);
	conf_free(plain);
}

/* Write a config naming dir/key and a key of len bytes with mode; load. */
static int load_with_secret(const char *dir, const char *key, size_t len,
			    mode_t mode, struct siplb_conf **c, char *err,
			    size_t errlen)
{
	char path[128], text[512], kpath[96];

	snprintf(kpath, sizeof(kpath), "%s/cluster.key", dir);
	snprintf(path, sizeof(path), "%s/siplb.conf", dir);
	snprintf(text, sizeof(text), "cluster {\nnode a\nsecret-file %s\n}\n"
		 MIN, kpath);
	unlink(kpath);
	if (key && (write_file(kpath, key, len) || chmod(kpath, mode)))
		return -EIO;
	if (write_file(path, text, strlen(text)))
		return -EIO;
	return conf_load(path, c, err, errlen);
}

TEST(config_cluster_secret_file)
{
	static const char key[] = "0123456789abcdef0123456789abcdef";
	char dir[] = "/tmp/test_config.XXXXXX", path[160], err[512];
	struct siplb_conf *c = NULL;
	int ret;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	ret = load_with_secret(dir, key, 32, 0600, &c, err, sizeof(err));
	if (ASSERT_OK(ret, "a 32-byte key, mode 600") && c) {
		ASSERT_EQ(c->cluster.secret_len, 32, "all of it");
		ASSERT_TRUE(!memcmp(c->cluster.secret, key, 32), "the bytes");
	}
	conf_free(c);
	ret = load_with_secret(dir, "0123456789abcdef0123456789abcdef\r\n",
			       34, 0640, &c, err, sizeof(err));
	if (ASSERT_OK(ret, "CRLF at the end, mode 640") && c)
		ASSERT_EQ(c->cluster.secret_len, 32, "line end not secret");
	conf_free(c);
	ret = load_with_secret(dir, key, 31, 0600, &c, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "31 bytes are too short");
	ASSERT_TRUE(c == NULL, "no config");
	snprintf(path, sizeof(path), "%s/siplb.conf:3: secret-file %s/cluster"
		 ".key: shorter than 32 bytes", dir, dir);
	ASSERT_TRUE(!strncmp(err, path, strlen(path)), "FILE:LINE: why");
	ret = load_with_secret(dir, key, 32, 0644, &c, err, sizeof(err));
	ASSERT_EQ(ret, -EPERM, "world-readable key refused");
	ASSERT_TRUE(strstr(err, "readable by others"), "says why");
	ret = load_with_secret(dir, key, 32, 0620, &c, err, sizeof(err));
	ASSERT_EQ(ret, -EPERM, "group-writable key refused");
	ret = load_with_secret(dir, NULL, 0, 0, &c, err, sizeof(err));
	ASSERT_EQ(ret, -ENOENT, "missing key file");
	ASSERT_TRUE(strstr(err, ":3: secret-file ") &&
		    strstr(err, "No such file"), "names line and reason");
	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/siplb.conf", dir);
	unlink(path);
	rmdir(dir);
}
