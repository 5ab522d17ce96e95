#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Write the seed corpora of the fuzz targets, tests/fuzz/<target>/seeds/.

The seeds are committed; this script says where each came from and makes
them again (run it from anywhere; it replaces every seeds/ directory):

  sip_msg  the RFC 4475 and RFC 5118 torture messages (tests/corpus), and
           the messages siplbd sees every day, written out below;
  uri      every Request-URI and To/From/Contact/Route value of those
           messages, and URI pairs ("A" NUL "B") from RFC 3261 19.1.4;
  digest   Authorization values built from tests/corpus/digest/vectors.tsv,
           the one in RFC 4475 regaut01, and malformed variants;
  config   etc/siplb.conf and variants (minimal, IPv6, every block, bad);
  users    htdigest files, and user NUL realm NUL password triples for
           users_format_line().

File names are the first 16 hex digits of the SHA-1 of the content, as
libFuzzer names corpus entries, prefixed with where the seed came from.
"""
import csv
import hashlib
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, "tests", "corpus")


def corpus_messages():
    """(name, bytes) of every .dat message of RFC 4475 and RFC 5118."""
    out = []
    for sub in ("rfc4475", "rfc5118"):
        d = os.path.join(CORPUS, sub)
        for f in sorted(os.listdir(d)):
            if f.endswith(".dat"):
                with open(os.path.join(d, f), "rb") as fh:
                    out.append((sub + "-" + f[:-4], fh.read()))
    return out


def crlf(text):
    return text.replace("\n", "\r\n").encode()


DAILY = {
    "register-auth": """REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK-524287-1---1
Max-Forwards: 70
Contact: <sip:alice@192.0.2.7:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1
To: <sip:alice@example.com>
From: <sip:alice@example.com>;tag=37GkEhwl6
Call-ID: 84b4c76e66710@pc33.example.com
CSeq: 2 REGISTER
Authorization: Digest username="alice", realm="example.com", nonce="7ypf_xlj9XXwfDPEoM4URrv_xwf94BcCAzFZH4GiTo0v", uri="sip:example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001
User-Agent: fuzz/1.0
Expires: 3600
Content-Length: 0

""",
    "register-star": """REGISTER sip:example.com SIP/2.0
v: SIP/2.0/UDP [2001:db8::7]:5060;branch=z9hG4bKstar
Max-Forwards: 70
m: *
t: sip:alice@example.com
f: "Alice" <sip:alice@example.com>;tag=1
i: star@2001:db8::7
CSeq: 3 REGISTER
Expires: 0
l: 0

""",
    "register-multi-contact": """REGISTER sips:example.com SIP/2.0
Via: SIP/2.0/TLS client.example.com:5061;branch=z9hG4bKmc, SIP/2.0/UDP 10.0.0.1;received=192.0.2.1
Via: SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bKmc2
Max-Forwards: 70
From: <sips:bob@example.com>;tag=a
To: <sips:bob@example.com>
Call-ID: mc-1
CSeq: 1 REGISTER
Contact: "Bob, mobile" <sip:bob@10.0.0.1;transport=tcp>;q=0.7;expires=60,
 <sip:bob@[2001:db8::1]:5080>;q=1.0, sip:bob@10.0.0.3;q=0
Contact: tel:+1-201-555-0123
Content-Length: 0

""",
    "options": """OPTIONS sip:10.0.0.11:5060 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-health-1
Max-Forwards: 0
From: <sip:siplbd@10.0.0.1>;tag=health
To: <sip:10.0.0.11:5060>
Call-ID: health-1@10.0.0.1
CSeq: 1 OPTIONS
Content-Length: 0

""",
    "invite-sdp": """INVITE sip:bob@biloxi.example.com;user=phone SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Proxy-Authorization: Digest username="alice", realm="atlanta.example.com", nonce="wf84f1ceczx41ae6cbe5aea9c8e88d359", uri="sip:bob@biloxi.example.com", response="42ce3cef44b22f50c6a6071bc8", opaque=""
Content-Type: application/sdp
Content-Length: 31

v=0
o=- 0 0 IN IP4 192.0.2.1
""",
    "response-200": """SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-health-1;received=10.0.0.1
From: <sip:siplbd@10.0.0.1>;tag=health
To: <sip:10.0.0.11:5060>;tag=b1
Call-ID: health-1@10.0.0.1
CSeq: 1 OPTIONS
Content-Length: 0

""",
    "response-401": """SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1
From: <sip:alice@example.com>;tag=37GkEhwl6
To: <sip:alice@example.com>;tag=x
Call-ID: 84b4c76e66710@pc33.example.com
CSeq: 1 REGISTER
WWW-Authenticate: Digest realm="example.com", qop="auth", algorithm=SHA-256, nonce="abc"
WWW-Authenticate: Digest realm="example.com", qop="auth", algorithm=MD5, nonce="abc"
Content-Length: 0

""",
    "scanner-options": """OPTIONS sip:100@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.9:5061;branch=z9hG4bK-2817363151;rport
Content-Length: 0
From: "sipvicious"<sip:100@1.1.1.1>;tag=6338393239393432
Accept: application/sdp
User-Agent: friendly-scanner
To: "sipvicious"<sip:100@1.1.1.1>
Contact: sip:100@198.51.100.9:5061
CSeq: 1 OPTIONS
Call-ID: 386429842711513926041549
Max-Forwards: 70

""",
}


def sip_msg_seeds():
    seeds = list(corpus_messages())
    for name, text in DAILY.items():
        seeds.append(("daily-" + name, crlf(text)))
    # The same with bare LF line ends, and keep-alives.
    seeds.append(("daily-bare-lf", DAILY["options"].encode()))
    seeds.append(("keepalive", b"\r\n\r\n"))
    seeds.append(("keepalive-lf", b"\n"))
    return seeds


HEADER_RE = re.compile(rb"^(To|t|From|f|Contact|m|Route|Record-Route"
                       rb"|Refer-To|r)[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)",
                       re.I | re.M)

# RFC 3261 19.1.4: the first six pairs are equal, the rest are not.
URI_PAIRS = [
    ("sip:%61lice@atlanta.com;transport=TCP",
     "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
    ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
    ("sip:[2001:db8::10]:5070", "sip:[2001:db8::10]:5070"),
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"),
    ("sip:alice:secret@atlanta.com;maddr=239.255.255.1;ttl=15",
     "sip:alice:secret@atlanta.com;ttl=15"),
    ("tel:+358-555-1234567;postd=pp22", "tel:+358-555-1234567;POSTD=PP22"),
    ("urn:service:sos", "URN:service:sos"),
]

URI_EXTRA = [
    "sip:user;par=u%40example.net@example.com",
    "sips:alice@[2001:db8::9:1]:5061;transport=tls;lr",
    "sip:[2001:db8:::192.0.2.1]", "sip:192.0.2.1:65535", "sip:host.:1",
    "<sip:alice@example.com>;tag=1;q=0.5;expires=4294967296",
    '"Quoted \\"name\\"" <sip:a@b>;+sip.instance="<urn:uuid:1>"',
    "*", "sip:a@b, sip:c@d ,\r\n <sip:e@f>", "a b c <mailto:x@y>",
]


def uri_seeds():
    values = set()
    for _, msg in corpus_messages():
        lines = msg.split(b"\n", 1)
        parts = lines[0].rstrip(b"\r").split(b" ")
        if len(parts) == 3 and not parts[0].upper().startswith(b"SIP/"):
            values.add(parts[1])
        head = msg.split(b"\r\n\r\n", 1)[0]
        for m in HEADER_RE.finditer(head):
            values.add(m.group(2).rstrip(b"\r"))
    seeds = [("corpus", v) for v in sorted(values)]
    seeds += [("rfc3261-19.1.4", (a + "\0" + b).encode())
              for a, b in URI_PAIRS]
    seeds += [("extra", u.encode()) for u in URI_EXTRA]
    return seeds


def digest_seeds():
    seeds = []
    with open(os.path.join(CORPUS, "digest", "vectors.tsv"),
              newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            p = ['Digest username="%s"' % row["username"],
                 'realm="%s"' % row["realm"],
                 'nonce="%s"' % row["nonce"],
                 'uri="%s"' % row["uri"],
                 'response="%s"' % row["expected_response"]]
            if row["algorithm"]:
                p.append("algorithm=" + row["algorithm"])
            if row["qop"]:
                p += ["qop=" + row["qop"], "nc=" + row["nc"],
                      'cnonce="%s"' % row["cnonce"]]
            m = re.search(r"opaque=(\S+)", row["note"])
            if m:
                p.append('opaque="%s"' % m.group(1))
            seeds.append(("vectors-" + row["id"], ", ".join(p).encode()))
    with open(os.path.join(CORPUS, "rfc4475", "regaut01.dat"), "rb") as fh:
        m = re.search(rb"\nAuthorization: *(.*?)\r\n(?![ \t])", fh.read(),
                      re.S)
        seeds.append(("rfc4475-regaut01", m.group(1)))
    base = ('Digest username="bob", realm="biloxi.com", '
            'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:biloxi.com"'
            ', response="245f23415f11432b3434341c022a7532"')
    for name, text in [
        ("noqop", base),
        ("folded", base.replace(", ", ",\r\n ")),
        ("qop-quoted", base + ', qop="auth", nc=00000001, cnonce="x"'),
        ("cnonce-empty", base + ', qop=auth, nc=00000001, cnonce=""'),
        ("auth-int", base + ", qop=auth-int, nc=00000001, cnonce=x"),
        ("sess-noqop", base + ", algorithm=MD5-sess"),
        ("username-star", base + ", username*=UTF-8''J%C3%A4s%C3%B8n"),
        ("userhash", base + ", userhash=true"),
        ("duplicate", base + ', realm="x"'),
        ("empty-elements", base.replace(", ", ",,, ")),
        ("escapes", base.replace('"bob"', '"b\\"o\\\\b"')),
        ("unknown-param", base + ', stale=FALSE, foo="a,b"'),
        ("basic", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ("unterminated", 'Digest username="bob'),
        ("nonce-issued", 'Digest username="a", realm="example.com", nonce='
         '"AAAAAAAAA-gAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY", uri="sip:a", '
         'response="00000000000000000000000000000000"'),
        ("challenge", '\x29example.com\x00nonce"with\\quote\x00opaque'),
    ]:
        seeds.append(("hand-" + name, text.encode()))
    return seeds


CONF_MIN = """realm example.com
users users.htdigest
vip 192.0.2.10:5060 {
	backend 10.0.0.11:5060
}
"""

CONF_FULL = """# every block
pin-dir /sys/fs/bpf/siplb
interface eth0
interface veth-b1
xdp-mode generic
affinity-size 67108864
control-socket /run/siplb/ctl.sock
realm example.com
users /etc/siplb/users.htdigest
vip 192.0.2.10:5060 {
	backend 10.0.0.11:5060 weight 1000
	backend 10.0.0.12:5060 weight 2 # second
}
vip [2001:db8::10]:5060 {
	backend [2001:db8:1::11]:5060
}
registrar {
	default-expires 3600
	min-expires 60
	max-expires 7200
	max-contacts 10
	max-bindings 65536
}
auth {
	nonce-lifetime 300
	block-threshold 5
	block-window 60
	block-time 0
	algorithms MD5 SHA-256 SHA-512-256
}
health {
	interval 2
	timeout 1
	down-after 3
	up-after 2
}
"""

CONF_BAD = {
    "unclosed": "realm x\nusers u\nvip 192.0.2.1:1 {\n backend 10.0.0.1:1\n",
    "nested": "vip 192.0.2.1:1 {\nregistrar {\n}\n}\n",
    "dup-backend": CONF_MIN.replace(
        "}\n", "\tbackend 10.0.0.11:5060\n}\n"),
    "family": CONF_MIN.replace("10.0.0.11:5060", "[2001:db8::1]:5060"),
    "expires": "registrar {\nmin-expires 10\ndefault-expires 5\n}\n",
    "health": "health {\ninterval 1\ntimeout 1\n}\n",
    "numbers": "affinity-size 0x10\nauth {\nblock-time 99999999999\n}\n",
    "crlf": CONF_MIN.replace("\n", "\r\n"),
    "ctl": "realm ex\x01ample\n",
    "words": "backend a b c d e f g h i j\n",
    "algorithms": "auth {\nalgorithms MD5 md5\n}\n",
    "vip-is-backend": CONF_MIN + "vip 10.0.0.11:5060 {\n}\n",
}


def conf_limits():
    """Configs at the limits: 17 VIPs, 1024 backends, a 1024-byte line."""
    vips = "realm r\nusers u\n" + "".join(
        "vip 192.0.2.%d:5060 {\nbackend 10.0.%d.1:5060\n}\n" % (i, i)
        for i in range(1, 18))
    backends = "realm r\nusers u\nvip 192.0.2.1:5060 {\n" + "".join(
        "backend 10.%d.%d.1:1\n" % (i // 256, i % 256)
        for i in range(1024)) + "}\n"
    line = CONF_MIN + "#" + "x" * 1023 + "\n"
    return [("limit-vips", vips.encode()), ("limit-backends",
            backends.encode()), ("limit-line", line.encode())]


def config_seeds():
    with open(os.path.join(ROOT, "etc", "siplb.conf"), "rb") as fh:
        seeds = [("etc-siplb.conf", fh.read())]
    seeds += [("minimal", CONF_MIN.encode()), ("full", CONF_FULL.encode())]
    seeds += [("bad-" + k, v.encode()) for k, v in CONF_BAD.items()]
    seeds += conf_limits()
    return seeds


MD5 = "939e7578ed9e3c518a452acee763bce9"
SHA = "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"

USERS = {
    "md5": "alice:example.com:%s\n" % MD5,
    "all": ("# comment\n\nalice:example.com:%s:SHA-256=%s:"
            "SHA-512-256=%s\r\nbob:example.com::sha-256=%s\n"
            % (MD5, SHA, SHA.upper(), SHA)),
    "no-newline": "carol:other.realm:%s" % MD5.upper(),
    "duplicate": "a:r:%s\na:r:%s\n" % (MD5, MD5),
    "bad-ext": "a:r:%s:MD5-sess=%s\n" % (MD5, MD5),
    "bad-short": "a:r:abc\n",
    "blank-user": " :r:%s\n\t# x\n" % MD5,
}

# users_format_line() input: algorithms byte, user NUL realm NUL password.
FORMAT = [
    b"\x00alice\x00example.com\x00secret",
    b"\x07bob\x00biloxi.com\x00Circle Of Life",
    b"\x04J\xc3\xa4s\xc3\xb8n Doe\x00api@example.org\x00Secret, or not?",
    b"\x01a:b\x00r\x00p",
]


def users_seeds():
    seeds = [("file-" + k, v.encode()) for k, v in USERS.items()]
    seeds += [("format", v) for v in FORMAT]
    return seeds


TARGETS = {
    "sip_msg": sip_msg_seeds,
    "uri": uri_seeds,
    "digest": digest_seeds,
    "config": config_seeds,
    "users": users_seeds,
}


def main():
    total = 0
    for target, make in TARGETS.items():
        d = os.path.join(HERE, target, "seeds")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        seen = set()
        for origin, data in make():
            h = hashlib.sha1(data).hexdigest()[:16]
            if h in seen:
                continue
            seen.add(h)
            with open(os.path.join(d, "%s-%s" % (origin, h)), "wb") as fh:
                fh.write(data)
            total += len(data)
        print("%-8s %4d seeds" % (target, len(seen)))
    print("%d bytes in all" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
