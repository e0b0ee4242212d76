/*
 * loadgen: a lean load generator for loomframe's wire format (one thread, epoll, loopback).
 *
 * WHAT IT DOES
 *   Opens C connections to HOST:PORT and keeps P frames in flight on each (closed loop), or issues
 *   frames at R frames/s in total, round-robin over the connections (open loop, --rate). Every reply
 *   is checked byte for byte against the frame it answers, so a lost, corrupted or reordered reply
 *   ends the run with exit status 1 and a message saying where.
 *
 *     frame    = length (4 bytes, big-endian, counts the payload only: loomframe's default) ‖ payload
 *     payload  = tag ‖ pattern            (a payload under 8 bytes is the first bytes of the tag)
 *     tag      = connection id (u32 BE) ‖ sequence number of the frame on its connection (u32 BE)
 *     pattern  = PATTERN[k ..], k = (id * 131 + seq * 7) mod 256: a fixed pseudo-random block read
 *                at an offset that depends on the frame, so a reply to another frame differs early
 *
 *   Replies are verified while they arrive, straight from the read buffer (memcmp against the
 *   pattern), so the generator holds no per-connection buffers and 10,000 connections cost it a
 *   few hundred bytes each. Frames are sent with writev from the same pattern block: no copies.
 *
 * TLS (--tls-ca FILE; only in a build with OpenSSL, see BUILD)
 *   The same loop over OpenSSL's non-blocking SSL_read/SSL_write: TLS 1.3 or 1.2, OpenSSL's default
 *   cipher suites and groups, the server's certificate verified against FILE for --tls-server-name
 *   (default localhost, also sent as SNI). Frames are copied into one send buffer and written with
 *   one SSL_write (a record holds up to 16 KiB), replies decrypted into the read buffer and verified
 *   there. The client keeps no session cache and never offers one, so every handshake is a full one
 *   (the result counts resumed handshakes, which must be 0). Closed-loop connections handshake as
 *   they connect, before the warm-up.
 *
 * HANDSHAKES (--handshakes)
 *   Instead of a closed loop over long-lived connections, each of the C connections cycles: connect,
 *   the TLS handshake (with --tls-ca), one frame and its echo, close (after close_notify), connect
 *   again. frames_per_s is then connections (handshakes) completed per second, the latency is the
 *   whole cycle from connect to the echo's last byte, and the server's CPU per frame is its CPU per
 *   connection. Without --tls-ca the same cycle over plain TCP: what a connection costs without TLS.
 *
 * PHASES
 *   connect -> warm-up (--warmup s) -> measured window (--duration s, or --frames N) -> drain
 *   At the start and the end of the measured window it prints, on stderr,
 *       loadgen: measure start <CLOCK_MONOTONIC ns>      loadgen: measure end <CLOCK_MONOTONIC ns>
 *   and, with --server-pid PID (and --backend-pid PID), samples that process's CPU time
 *   (utime + stime of /proc/PID/stat: the whole process, every thread) at the same two instants, and
 *   its thread count and VmRSS at the end. So server CPU per frame covers exactly the window whose
 *   frames are counted. With --gate it also stops issuing frames, waits until every frame in
 *   flight is answered and reads one line from stdin before the window and again after it: a
 *   profiler (strace -c, perf) can attach while nothing is in flight and count exactly the window.
 *
 * WHAT IS COUNTED
 *   frames_per_s   replies completed inside the window / window length
 *   latency        per frame, from the moment it was issued (closed loop: when the reply before it
 *                  arrived; open loop: its due time, so a server that stalls is charged for every
 *                  frame it delayed: no coordinated omission) to the last byte of its reply, for
 *                  frames issued inside the window; after the window the generator keeps the load
 *                  on for up to 2 s to collect them (frames still unanswered then enter the histogram
 *                  with the time they had waited, a lower bound, and are counted as "late")
 *   drain_frames   replies completed after the window (with --gate: the frames in flight when it
 *                  closed), so frames + drain_frames is every frame answered between the two gates
 *   unissued       open loop: frames due in the window that the generator itself never sent (it
 *                  fell behind its schedule); they enter the histogram as late, from their due time.
 *                  Above zero, the offered rate was beyond what generator and server could do together
 *   histogram      log-linear buckets, 64 per power of two (values within 1.6 %)
 *   client CPU     getrusage(RUSAGE_SELF) over the window, per frame and as cores used, so a
 *                  reader sees whether the generator itself was the limit (near 1.0 core: it was)
 *   other_cores    the machine's busy time (/proc/stat) over the window minus this process and the
 *                  sampled ones: other work competing for the cores (well above 0.1: disturbed)
 *
 * OUTPUT
 *   One JSON object on stdout at the end. Exit 0 on success, 1 on a protocol or connection error
 *   (the JSON then has "error"), 2 on a usage error.
 *
 * BUILD AND RUN
 *   cc -O2 -o jmh/target/loadgen jmh/native/loadgen.c                          without TLS
 *   cc -O2 -DLOADGEN_TLS -o jmh/target/loadgen jmh/native/loadgen.c -lssl -lcrypto   with TLS
 *   (jmh/native/build.sh does this, with TLS when OpenSSL's headers are installed: libssl-dev)
 *   jmh/target/loadgen --port 7777 --connections 100 --size 1024 --pipeline 1 --warmup 2 --duration 5
 *   jmh/target/loadgen --port 7777 --tls-ca ca.pem --connections 100 --size 1024
 *   jmh/target/loadgen --port 7777 --tls-ca ca.pem --handshakes --connections 16 --duration 3
 *   jmh/target/loadgen --version                    says whether this build has TLS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#ifdef LOADGEN_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define TAG_BYTES 8
#define HEADER_BYTES 4
#define READ_BUFFER (256 * 1024)
#define MAX_FRAMES_PER_WRITE 64
#define DRAIN_NS 2000000000LL
#define ISSUE_BATCH 256
#define TLS_WRITE_MAX (256 * 1024)    /* bytes handed to one SSL_write */

/* ---- time and errors -------------------------------------------------------------------- */

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int64_t rusage_ns(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return ((int64_t)u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL
           + ((int64_t)u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
}

static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see loadgen --help)\n");
    va_end(ap);
    exit(2);
}

/* ---- log-linear latency histogram (ns) --------------------------------------------------- */

#define SUB_BITS 6
#define SUB (1 << SUB_BITS)
#define BUCKETS ((64 - SUB_BITS) * SUB + SUB)

typedef struct {
    uint64_t counts[BUCKETS];
    uint64_t total, max;
    double sum;
} histogram_t;

static int bucket_of(uint64_t v) {
    if (v < SUB) return (int)v;
    int e = 63 - __builtin_clzll(v);            /* v in [2^e, 2^(e+1)), e >= SUB_BITS */
    int sub = (int)((v >> (e - SUB_BITS)) & (SUB - 1));
    return (e - SUB_BITS + 1) * SUB + sub;
}

/* The middle of a bucket's range: the value reported for a percentile that falls in it. */
static double bucket_value(int b) {
    if (b < SUB) return b;
    int e = b / SUB + SUB_BITS - 1;
    uint64_t sub = (uint64_t)(b % SUB);
    uint64_t lo = (1ULL << e) + (sub << (e - SUB_BITS));
    uint64_t width = 1ULL << (e - SUB_BITS);
    return lo + width / 2.0;
}

static void record(histogram_t *h, int64_t v) {
    if (v < 0) v = 0;
    h->counts[bucket_of((uint64_t)v)]++;
    h->total++;
    h->sum += (double)v;
    if ((uint64_t)v > h->max) h->max = (uint64_t)v;
}

static double percentile(const histogram_t *h, double p) {
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank) {
            double v = bucket_value(b);
            return v > (double)h->max ? (double)h->max : v;
        }
    }
    return (double)h->max;
}

/* ---- the other process's CPU, threads and memory ------------------------------------------ */

typedef struct {
    long pid;
    int64_t cpu_start, cpu_end;   /* ns */
    long threads, rss_kib;
    int ok;
} proc_sample_t;

static int64_t proc_cpu_ns(long pid) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');               /* the command name may hold spaces */
    if (!p) return -1;
    unsigned long long utime = 0, stime = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (int64_t)(utime + stime) * (1000000000LL / sysconf(_SC_CLK_TCK));
}

static void proc_status(long pid, long *threads, long *rss_kib) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    *threads = -1;
    *rss_kib = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Threads:", 8) == 0) *threads = strtol(line + 8, NULL, 10);
        if (strncmp(line, "VmRSS:", 6) == 0) *rss_kib = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

/* Busy CPU time of the whole machine (all CPUs, ns) from /proc/stat: user nice system irq softirq steal. */
static int64_t machine_busy_ns(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 7) return -1;
    return (int64_t)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * (1000000000LL / sysconf(_SC_CLK_TCK));
}

/* ---- connections ---------------------------------------------------------------------------- */

enum conn_state { CONNECTING, HANDSHAKING, ECHOING };

typedef struct {
    int fd;
    uint32_t id;
    enum conn_state state;    /* --handshakes: where the connection is in its cycle; else ECHOING */
    int64_t cycle_start;      /* --handshakes: when its connect began */
    int cycle_done;           /* --handshakes: its echo is complete: close it and connect again */
#ifdef LOADGEN_TLS
    SSL *ssl;                 /* with --tls-ca */
    int tls_retry;            /* bytes of an SSL_write to repeat (it asked to be called again) */
    int read_wants_write;     /* SSL_read needs the socket writable (a message of its own to send) */
#endif
    int out_armed;            /* EPOLLOUT registered: the socket refused bytes */
    uint64_t send_seq;        /* the frame being written (or next to write) */
    uint64_t send_off;        /* bytes of it already written */
    uint32_t unsent;          /* frames issued and not yet completely written */
    uint64_t recv_seq;        /* the frame whose reply is arriving */
    uint64_t recv_off;        /* bytes of that reply received */
    int64_t *issued;          /* ring: issue (or due) time of each frame without a complete reply */
    uint32_t cap, head, count;
} conn_t;

static struct {
    const char *host;
    int port, connections, pipeline;
    uint64_t size;
    double warmup_s, duration_s, rate;
    uint64_t frames_limit;
    int gate;
    long server_pid, backend_pid;
    const char *tls_ca, *tls_name;
    int handshakes;
} opt = {"127.0.0.1", 0, 1, 1, 1024, 2, 5, 0, 0, 0, 0, 0, NULL, "localhost", 0};

static uint8_t *pattern;      /* size + 256 + TAG_BYTES bytes */
static uint64_t frame_len;    /* HEADER_BYTES + size */
static int epfd;
static struct sockaddr_in server_addr;
static conn_t *conns;
static histogram_t hist;
static char error_text[512];

enum phase { WARMUP, MEASURE, DRAIN, DONE };
static enum phase phase = WARMUP;
static int issuing = 1;           /* cleared while a gate waits for in-flight frames to drain */
static int64_t window_start, window_end;
static uint64_t window_frames, window_bytes, late_frames, in_flight, drain_frames, unissued_frames;

static void fail(const char *fmt, ...) {
    if (error_text[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_text, sizeof error_text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "loadgen: %s\n", error_text);
    phase = DONE;
}

static uint32_t pattern_offset(const conn_t *c, uint64_t seq) {
    return (uint32_t)((c->id * 131u + (uint32_t)seq * 7u) & 255u);
}

/* The first HEADER_BYTES + TAG_BYTES bytes of frame seq of c (only the first frame_len are used). */
static void frame_head(const conn_t *c, uint64_t seq, uint8_t out[HEADER_BYTES + TAG_BYTES]) {
    uint64_t s = opt.size;
    out[0] = (uint8_t)(s >> 24); out[1] = (uint8_t)(s >> 16); out[2] = (uint8_t)(s >> 8); out[3] = (uint8_t)s;
    uint32_t id = c->id, sq = (uint32_t)seq;
    out[4] = (uint8_t)(id >> 24); out[5] = (uint8_t)(id >> 16); out[6] = (uint8_t)(id >> 8); out[7] = (uint8_t)id;
    out[8] = (uint8_t)(sq >> 24); out[9] = (uint8_t)(sq >> 16); out[10] = (uint8_t)(sq >> 8); out[11] = (uint8_t)sq;
}

static uint64_t head_len(void) {
    return frame_len < HEADER_BYTES + TAG_BYTES ? frame_len : HEADER_BYTES + TAG_BYTES;
}

static void set_events(conn_t *c, int out) {
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail("epoll_ctl: %s", strerror(errno));
    c->out_armed = out;
}

static void issue(conn_t *c, int64_t when) {
    if (c->count == c->cap) {                     /* open loop only: the server fell behind */
        uint32_t ncap = c->cap * 2;
        if (ncap > (1u << 20)) { fail("connection %u: over a million frames unanswered", c->id); return; }
        int64_t *n = malloc(sizeof(int64_t) * ncap);
        for (uint32_t i = 0; i < c->count; i++) n[i] = c->issued[(c->head + i) % c->cap];
        free(c->issued);
        c->issued = n; c->cap = ncap; c->head = 0;
    }
    c->issued[(c->head + c->count) % c->cap] = when;
    c->count++;
    c->unsent++;
    in_flight++;
}

/* Moves the send position on by w bytes written. */
static void sent(conn_t *c, uint64_t w) {
    while (w > 0) {
        uint64_t rest = frame_len - c->send_off;
        if (w >= rest) { w -= rest; c->send_seq++; c->send_off = 0; c->unsent--; }
        else { c->send_off += w; w = 0; }
    }
}

#ifdef LOADGEN_TLS
static void send_frames_tls(conn_t *c);
#endif

/* Writes as many issued frames as the socket takes, with one writev. */
static void send_frames(conn_t *c) {
#ifdef LOADGEN_TLS
    if (c->ssl) { send_frames_tls(c); return; }
#endif
    while (c->unsent > 0 && phase != DONE) {
        struct iovec iov[MAX_FRAMES_PER_WRITE * 2];
        uint8_t heads[MAX_FRAMES_PER_WRITE][HEADER_BYTES + TAG_BYTES];
        int n = 0;
        size_t want = 0;
        uint32_t frames = c->unsent < MAX_FRAMES_PER_WRITE ? c->unsent : MAX_FRAMES_PER_WRITE;
        for (uint32_t j = 0; j < frames; j++) {
            uint64_t seq = c->send_seq + j;
            uint64_t off = j == 0 ? c->send_off : 0;
            uint64_t hl = head_len();
            if (off < hl) {
                frame_head(c, seq, heads[j]);
                iov[n].iov_base = heads[j] + off;
                iov[n].iov_len = hl - off;
                want += iov[n++].iov_len;
                off = hl;
            }
            if (off < frame_len) {
                iov[n].iov_base = pattern + pattern_offset(c, seq) + (off - HEADER_BYTES - TAG_BYTES);
                iov[n].iov_len = frame_len - off;
                want += iov[n++].iov_len;
            }
        }
        ssize_t w = writev(c->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) { if (!c->out_armed) set_events(c, 1); return; }
            if (errno == EINTR) continue;
            fail("connection %u: write: %s (after %" PRIu64 " frames)", c->id, strerror(errno), c->send_seq);
            return;
        }
        sent(c, (uint64_t)w);
        if ((size_t)w < want) { if (!c->out_armed) set_events(c, 1); return; }
    }
    if (c->out_armed) set_events(c, 0);
}

/* Index of the first byte where a and b differ (len if none). */
static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t len) {
    for (uint64_t i = 0; i < len; i++) if (a[i] != b[i]) return i;
    return len;
}

static void mismatch(conn_t *c, uint64_t at, uint8_t expected, uint8_t got) {
    fail("connection %u: reply to frame %" PRIu64 " differs at byte %" PRIu64 " of %" PRIu64
         " (expected 0x%02x, got 0x%02x): lost, corrupted or reordered reply",
         c->id, c->recv_seq, at, frame_len, expected, got);
}

static void reply_complete(conn_t *c, int64_t now) {
    int64_t issued = c->issued[c->head];
    c->head = (c->head + 1) % c->cap;
    c->count--;
    in_flight--;
    c->recv_seq++;
    c->recv_off = 0;
    if (phase == MEASURE || phase == DRAIN) {
        if (phase == MEASURE) { window_frames++; window_bytes += frame_len; } else drain_frames++;
        if (issued >= window_start && (phase == MEASURE || issued < window_end)) record(&hist, now - issued);
    }
    if (opt.handshakes) c->cycle_done = 1;           /* the caller closes it and connects again */
    else if (opt.rate == 0 && issuing) issue(c, now);   /* closed loop: the next frame replaces this one */
}

/* Checks the bytes of replies as they arrive, without copying them anywhere. */
static void received(conn_t *c, const uint8_t *p, uint64_t n, int64_t now) {
    while (n > 0 && phase != DONE) {
        if (c->count == 0 || c->recv_seq >= c->send_seq + (c->send_off > 0)) {
            fail("connection %u: %" PRIu64 " bytes arrived for no frame sent (reply to frame %" PRIu64 ")",
                 c->id, n, c->recv_seq);
            return;
        }
        uint64_t take = frame_len - c->recv_off;
        if (take > n) take = n;
        uint64_t hl = head_len(), off = c->recv_off, done = 0;
        if (off < hl) {                                  /* length field and tag */
            uint8_t head[HEADER_BYTES + TAG_BYTES];
            frame_head(c, c->recv_seq, head);
            uint64_t k = hl - off < take ? hl - off : take;
            uint64_t d = first_difference(head + off, p, k);
            if (d < k) { mismatch(c, off + d, head[off + d], p[d]); return; }
            done = k;
        }
        if (done < take) {                               /* pattern */
            const uint8_t *want = pattern + pattern_offset(c, c->recv_seq) + (off + done - HEADER_BYTES - TAG_BYTES);
            if (memcmp(want, p + done, take - done) != 0) {
                uint64_t d = first_difference(want, p + done, take - done);
                mismatch(c, off + done + d, want[d], p[done + d]);
                return;
            }
        }
        c->recv_off += take;
        p += take;
        n -= take;
        if (c->recv_off == frame_len) reply_complete(c, now);
    }
}

static uint8_t read_buffer[READ_BUFFER];

#ifdef LOADGEN_TLS
static void readable_tls(conn_t *c, int64_t now);
#endif

static void readable(conn_t *c, int64_t now) {
#ifdef LOADGEN_TLS
    if (c->ssl) { readable_tls(c, now); return; }
#endif
    ssize_t r = read(c->fd, read_buffer, sizeof read_buffer);
    if (r > 0) { received(c, read_buffer, (uint64_t)r, now); if (c->unsent) send_frames(c); return; }
    if (r == 0) { fail("connection %u: closed by the server with %u frames unanswered", c->id, c->count); return; }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    fail("connection %u: read: %s with %u frames unanswered", c->id, strerror(errno), c->count);
}

/* ---- TLS (OpenSSL) ------------------------------------------------------------------------- */

#ifdef LOADGEN_TLS
static SSL_CTX *tls_ctx;
static uint8_t tls_out[TLS_WRITE_MAX];
static uint64_t tls_full, tls_resumed;           /* handshakes completed, and how many resumed a session */
static char tls_version[32], tls_cipher[96], tls_group[48];

/* What went wrong, from OpenSSL's error queue and the verification result. */
static const char *tls_why(SSL *ssl, int code) {
    static char text[320];
    unsigned long e = ERR_get_error();
    long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK) snprintf(text, sizeof text, "certificate not verified: %s", X509_verify_cert_error_string(verify));
    else if (e) ERR_error_string_n(e, text, sizeof text);
    else if (code == SSL_ERROR_SYSCALL) snprintf(text, sizeof text, "%s", errno ? strerror(errno) : "connection closed");
    else if (code == SSL_ERROR_ZERO_RETURN) snprintf(text, sizeof text, "closed by the server (close_notify)");
    else snprintf(text, sizeof text, "SSL error %d", code);
    ERR_clear_error();
    return text;
}

static void tls_init(void) {
    tls_ctx = SSL_CTX_new(TLS_client_method());
    if (!tls_ctx) usage_error("cannot create an OpenSSL context: %s", tls_why(NULL, 0));
    SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(tls_ctx, opt.tls_ca, NULL) != 1)
        usage_error("--tls-ca %s: cannot read CA certificates: %s", opt.tls_ca, tls_why(NULL, 0));
    /* No client session cache, and no session is ever handed to SSL_set_session: every handshake is full. */
    SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
    /* A write may complete record by record (so the loop can go on with what is left), from a buffer
     * that is rebuilt, not kept, between the call that would block and its repetition. */
    SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(tls_ctx, 1);          /* read what the socket has, not header then body */
}

static void tls_attach(conn_t *c) {
    c->ssl = SSL_new(tls_ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, opt.tls_name);
    SSL_set1_host(c->ssl, opt.tls_name);
    SSL_set_connect_state(c->ssl);
    c->tls_retry = 0;
    c->read_wants_write = 0;
}

static void tls_handshaken(conn_t *c) {
    tls_full++;
    if (SSL_session_reused(c->ssl)) tls_resumed++;
    if (!tls_version[0]) {
        snprintf(tls_version, sizeof tls_version, "%s", SSL_get_version(c->ssl));
        snprintf(tls_cipher, sizeof tls_cipher, "%s", SSL_get_cipher_name(c->ssl));
        const char *g = SSL_group_to_name(c->ssl, SSL_get_negotiated_group(c->ssl));
        snprintf(tls_group, sizeof tls_group, "%s", g ? g : "unknown");
    }
}

/* Sends close_notify (without waiting for the server's) and frees the connection's TLS state. */
static void tls_detach(conn_t *c) {
    if (!c->ssl) return;
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    c->ssl = NULL;
    ERR_clear_error();
}

/* The bytes of the issued, unsent frames from the send position on, as they go on the wire. */
static uint64_t unsent_bytes(const conn_t *c, uint8_t *out, uint64_t max) {
    uint64_t n = 0, seq = c->send_seq, off = c->send_off, hl = head_len();
    for (uint32_t left = c->unsent; left > 0 && n < max; ) {
        if (off < hl) {
            uint8_t head[HEADER_BYTES + TAG_BYTES];
            frame_head(c, seq, head);
            uint64_t k = hl - off < max - n ? hl - off : max - n;
            memcpy(out + n, head + off, k);
            n += k; off += k;
        }
        if (off >= hl && off < frame_len && n < max) {
            uint64_t k = frame_len - off < max - n ? frame_len - off : max - n;
            memcpy(out + n, pattern + pattern_offset(c, seq) + (off - HEADER_BYTES - TAG_BYTES), k);
            n += k; off += k;
        }
        if (off == frame_len) { seq++; off = 0; left--; }
    }
    return n;
}

/* SSL_write of the unsent frames until they are written or the socket (or the engine) says wait. */
static void send_frames_tls(conn_t *c) {
    while (c->unsent > 0 && phase != DONE) {
        /* Repeating a write that would have blocked: the same bytes, rebuilt, the same length. */
        uint64_t n = c->tls_retry ? unsent_bytes(c, tls_out, (uint64_t)c->tls_retry) : unsent_bytes(c, tls_out, sizeof tls_out);
        int w = SSL_write(c->ssl, tls_out, (int)n);
        if (w > 0) { c->tls_retry = 0; sent(c, (uint64_t)w); continue; }
        int e = SSL_get_error(c->ssl, w);
        if (e == SSL_ERROR_WANT_WRITE) { c->tls_retry = (int)n; if (!c->out_armed) set_events(c, 1); return; }
        if (e == SSL_ERROR_WANT_READ) { c->tls_retry = (int)n; return; }       /* readable() writes on */
        fail("connection %u: TLS write: %s (after %" PRIu64 " frames)", c->id, tls_why(c->ssl, e), c->send_seq);
        return;
    }
    if (c->out_armed && !c->read_wants_write) set_events(c, 0);
}

/* SSL_read until the engine has nothing more without reading the socket: level-triggered epoll
 * does not know about plaintext OpenSSL already holds. */
static void readable_tls(conn_t *c, int64_t now) {
    c->read_wants_write = 0;
    while (phase != DONE && !c->cycle_done) {
        int r = SSL_read(c->ssl, read_buffer, sizeof read_buffer);
        if (r > 0) { received(c, read_buffer, (uint64_t)r, now); continue; }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_WANT_WRITE) { c->read_wants_write = 1; if (!c->out_armed) set_events(c, 1); break; }
        fail("connection %u: TLS read: %s with %u frames unanswered", c->id, tls_why(c->ssl, e), c->count);
        return;
    }
    if (c->unsent && phase != DONE && !c->cycle_done) send_frames(c);
}
#endif

static int connect_one(struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);   /* bounds a connect to a full backlog */
    if (connect(fd, (struct sockaddr *)addr, sizeof *addr) < 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}

/* A long-lived connection of the closed or open loop: connected, handshaken (TLS), non-blocking. */
static int open_connection(conn_t *c) {
    c->fd = connect_one(&server_addr);
    if (c->fd < 0) return -1;
    c->state = ECHOING;
#ifdef LOADGEN_TLS
    if (opt.tls_ca) {
        struct timeval tv = {.tv_sec = 10};
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);   /* bounds a handshake that stalls */
        tls_attach(c);
        int r = SSL_connect(c->ssl);                                  /* blocking: before the warm-up */
        if (r != 1) {
            fail("connection %u: TLS handshake with %s:%d: %s", c->id, opt.host, opt.port, tls_why(c->ssl, SSL_get_error(c->ssl, r)));
            return -1;
        }
        tls_handshaken(c);
    }
#endif
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* ---- --handshakes: connect, handshake, one echo, close, again ------------------------------ */

static void begin_echo(conn_t *c) {
    c->state = ECHOING;
    set_events(c, 0);
    issue(c, c->cycle_start);                     /* its latency is the whole cycle */
    send_frames(c);
}

static void handshake_step(conn_t *c) {
#ifdef LOADGEN_TLS
    int r = SSL_connect(c->ssl);
    if (r == 1) { tls_handshaken(c); begin_echo(c); return; }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) { if (c->out_armed) set_events(c, 0); return; }
    if (e == SSL_ERROR_WANT_WRITE) { if (!c->out_armed) set_events(c, 1); return; }
    fail("connection %u: TLS handshake with %s:%d: %s", c->id, opt.host, opt.port, tls_why(c->ssl, e));
#else
    (void)c;
#endif
}

/* The non-blocking connect finished (EPOLLOUT): on to the handshake or straight to the echo. */
static void connected(conn_t *c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) { fail("connection %u: connect to %s:%d: %s", c->id, opt.host, opt.port, strerror(err)); return; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef LOADGEN_TLS
    if (opt.tls_ca) { tls_attach(c); c->state = HANDSHAKING; handshake_step(c); return; }
#endif
    begin_echo(c);
}

static void start_cycle(conn_t *c, int64_t now) {
    c->cycle_start = now;
    c->cycle_done = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { fail("connection %u: socket: %s", c->id, strerror(errno)); return; }
    c->state = CONNECTING;
    c->out_armed = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) { fail("epoll_ctl: %s", strerror(errno)); return; }
    if (connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0 && errno != EINPROGRESS)
        fail("connection %u: connect to %s:%d: %s", c->id, opt.host, opt.port, strerror(errno));
}

/* The echo of this cycle is complete: close (after close_notify) and connect again. */
static void end_cycle(conn_t *c, int64_t now) {
#ifdef LOADGEN_TLS
    tls_detach(c);
#endif
    close(c->fd);
    c->fd = -1;
    start_cycle(c, now);
}

/* ---- the main loop ---------------------------------------------------------------------- */

static void sample_start(proc_sample_t *s) {
    if (s->pid > 0) s->cpu_start = proc_cpu_ns(s->pid);
}

static void sample_end(proc_sample_t *s) {
    if (s->pid <= 0) return;
    s->cpu_end = proc_cpu_ns(s->pid);
    proc_status(s->pid, &s->threads, &s->rss_kib);
    s->ok = s->cpu_start >= 0 && s->cpu_end >= 0;
}

/* Stops issuing, waits (serving the sockets) until every frame in flight is answered, then reads a line. */
static void gate(const char *what, int64_t limit_ns);

static struct epoll_event events[1024];

static void poll_once(int64_t timeout_ns) {
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL};
    int n = epoll_pwait2(epfd, events, 1024, timeout_ns < 0 ? NULL : &ts, NULL);
    if (n < 0 && errno == ENOSYS) n = epoll_wait(epfd, events, 1024, timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000));
    if (n < 0) { if (errno != EINTR) fail("epoll_wait: %s", strerror(errno)); return; }
    int64_t now = now_ns();
    for (int i = 0; i < n && phase != DONE; i++) {
        conn_t *c = events[i].data.ptr;
        if (c->state == CONNECTING) connected(c);
        else if (c->state == HANDSHAKING) handshake_step(c);
        else {
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(c, now);
#ifdef LOADGEN_TLS
            if ((events[i].events & EPOLLOUT) && c->read_wants_write && phase != DONE) readable(c, now);
#endif
            if ((events[i].events & EPOLLOUT) && phase != DONE && !c->cycle_done) send_frames(c);
        }
        if (c->cycle_done && phase != DONE) end_cycle(c, now);
    }
}

static void gate(const char *what, int64_t limit_ns) {
    issuing = 0;
    int64_t deadline = now_ns() + limit_ns;
    while (in_flight > 0 && phase != DONE && now_ns() < deadline) poll_once(10000000LL);
    if (in_flight > 0 && phase != DONE) fail("gate: %" PRIu64 " frames still unanswered after %.1f s", in_flight, limit_ns / 1e9);
    fprintf(stderr, "loadgen: idle before %s; press enter (or write a line to stdin)\n", what);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) { /* stdin closed: go on */ }
    issuing = 1;
}

#ifdef LOADGEN_TLS
#define TLS_BUILD 1
#else
#define TLS_BUILD 0
#endif
#define NO_TLS_HINT "this loadgen was built without TLS (no OpenSSL headers when jmh/native/build.sh ran): " \
                    "install libssl-dev (apt-get install libssl-dev) and run jmh/native/build.sh again"

static void usage(void) {
    puts("usage: loadgen --port P [--host 127.0.0.1] [--connections C] [--size BYTES] [--pipeline P]\n"
         "               [--warmup S] [--duration S | --frames N] [--rate FRAMES_PER_S]\n"
         "               [--server-pid PID] [--backend-pid PID] [--gate]\n"
         "               [--tls-ca FILE [--tls-server-name localhost]] [--handshakes]\n"
         "       loadgen --version       (says whether this build has TLS)\n"
         "Closed loop of C connections x P frames in flight (open loop with --rate), every echo verified;\n"
         "--handshakes: C connections each cycling connect, (TLS handshake,) one echo, close.\n"
         "Frames: 4-byte big-endian length of the payload, then the payload. JSON result on stdout.");
}

static void version(void) {
#ifdef LOADGEN_TLS
    printf("loadgen tls=%s\n", OpenSSL_version(OPENSSL_VERSION));
#else
    printf("loadgen tls=none (%s)\n", NO_TLS_HINT);
#endif
}

static double number(const char *name, const char *v) {
    char *end;
    double d = strtod(v, &end);
    double mult = 1;
    if (*end == 'k' || *end == 'K') { mult = 1024; end++; if (*end == 'i') end++; if (*end == 'B') end++; }
    else if (*end == 'm' || *end == 'M') { mult = 1024 * 1024; end++; if (*end == 'i') end++; if (*end == 'B') end++; }
    if (end == v || *end) usage_error("%s: not a number: %s", name, v);
    return d * mult;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(); return 0; }
        if (!strcmp(a, "--gate")) { opt.gate = 1; continue; }
        if (!strcmp(a, "--handshakes")) { opt.handshakes = 1; continue; }
        if (!strcmp(a, "--version")) { version(); return 0; }
        if (i + 1 >= argc) usage_error("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) opt.host = v;
        else if (!strcmp(a, "--port")) opt.port = (int)number(a, v);
        else if (!strcmp(a, "--connections")) opt.connections = (int)number(a, v);
        else if (!strcmp(a, "--size")) opt.size = (uint64_t)number(a, v);
        else if (!strcmp(a, "--pipeline")) opt.pipeline = (int)number(a, v);
        else if (!strcmp(a, "--warmup")) opt.warmup_s = number(a, v);
        else if (!strcmp(a, "--duration")) opt.duration_s = number(a, v);
        else if (!strcmp(a, "--frames")) opt.frames_limit = (uint64_t)number(a, v);
        else if (!strcmp(a, "--rate")) opt.rate = number(a, v);
        else if (!strcmp(a, "--server-pid")) opt.server_pid = (long)number(a, v);
        else if (!strcmp(a, "--backend-pid")) opt.backend_pid = (long)number(a, v);
        else if (!strcmp(a, "--tls-ca")) opt.tls_ca = v;
        else if (!strcmp(a, "--tls-server-name")) opt.tls_name = v;
        else usage_error("unknown option %s", a);
    }
    if (opt.port <= 0 || opt.port > 65535) usage_error("--port must be 1..65535, got %d", opt.port);
    if (opt.connections < 1) usage_error("--connections must be at least 1, got %d", opt.connections);
    if (opt.pipeline < 1) usage_error("--pipeline must be at least 1, got %d", opt.pipeline);
    if (opt.size > 0x7fffffffULL) usage_error("--size must be below 2 GiB, got %" PRIu64, opt.size);
    if (opt.rate < 0 || opt.warmup_s < 0 || opt.duration_s <= 0) usage_error("--rate, --warmup and --duration must be positive");
    if (opt.handshakes && (opt.rate > 0 || opt.gate || opt.pipeline != 1 || opt.frames_limit))
        usage_error("--handshakes is one frame per connection: not with --rate, --gate, --frames or --pipeline above 1");
    if (opt.tls_ca && !TLS_BUILD) usage_error("--tls-ca: " NO_TLS_HINT);
#ifdef LOADGEN_TLS
    if (opt.tls_ca) tls_init();
#endif

    signal(SIGPIPE, SIG_IGN);
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    nofile.rlim_cur = nofile.rlim_max;                 /* 10,000 connections need more than the soft 1,024 */
    setrlimit(RLIMIT_NOFILE, &nofile);

    frame_len = HEADER_BYTES + opt.size;
    pattern = malloc(opt.size + 256 + TAG_BYTES);
    uint32_t x = 0x9E3779B9u;
    for (uint64_t i = 0; i < opt.size + 256 + TAG_BYTES; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; pattern[i] = (uint8_t)x; }

    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) usage_error("--host must be an IPv4 address, got %s", opt.host);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t)opt.connections, sizeof(conn_t));
    int64_t t_connect = now_ns();
    for (int i = 0; i < opt.connections; i++) {
        conn_t *c = &conns[i];
        c->id = (uint32_t)i;
        c->cap = opt.rate > 0 ? 4 : (uint32_t)opt.pipeline;
        c->issued = malloc(sizeof(int64_t) * c->cap);
        if (opt.handshakes) { c->fd = -1; continue; }  /* they connect when the load starts, again and again */
        if (open_connection(c) < 0) {
            if (!error_text[0]) fail("connection %d of %d: connect to %s:%d: %s", i + 1, opt.connections, opt.host, opt.port, strerror(errno));
            if (c->fd >= 0) close(c->fd);
            opt.connections = i;
            break;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    }
    double connect_s = (now_ns() - t_connect) / 1e9;

    proc_sample_t server = {.pid = opt.server_pid}, backend = {.pid = opt.backend_pid};
    int64_t cpu_start = 0, cpu_end = 0, machine_start = 0, machine_end = 0;
    int64_t start = now_ns(), warm_end = start + (int64_t)(opt.warmup_s * 1e9);
    int64_t measure_until = 0, drain_until = 0;
    uint64_t due_index = 0;                            /* open loop: frames issued so far */
    int64_t open_start = start;

    if (!error_text[0] && opt.handshakes)
        for (int i = 0; i < opt.connections; i++) start_cycle(&conns[i], start);
    else if (!error_text[0] && opt.rate == 0)
        for (int i = 0; i < opt.connections; i++) {
            for (int j = 0; j < opt.pipeline; j++) issue(&conns[i], start);
            send_frames(&conns[i]);
        }

    while (phase != DONE) {
        int64_t now = now_ns();
        if (phase == WARMUP && now >= warm_end) {
            if (opt.gate) { gate("the measured window", 60000000000LL); now = now_ns(); open_start = now; due_index = 0;
                            if (opt.rate == 0) for (int i = 0; i < opt.connections; i++) { for (int j = 0; j < opt.pipeline; j++) issue(&conns[i], now); send_frames(&conns[i]); } }
            if (phase == DONE) break;
            now = now_ns();
            sample_start(&server);
            sample_start(&backend);
            cpu_start = rusage_ns();
            machine_start = machine_busy_ns();
            window_start = now;
            measure_until = now + (int64_t)(opt.duration_s * 1e9);
            phase = MEASURE;
            fprintf(stderr, "loadgen: measure start %" PRId64 "\n", now);
        } else if (phase == MEASURE && (now >= measure_until || (opt.frames_limit && window_frames >= opt.frames_limit))) {
            window_end = now;
            cpu_end = rusage_ns();
            machine_end = machine_busy_ns();
            sample_end(&server);
            sample_end(&backend);
            fprintf(stderr, "loadgen: measure end %" PRId64 "\n", now);
            phase = DRAIN;
            drain_until = now + DRAIN_NS;
            if (opt.gate) issuing = 0;
        } else if (phase == DRAIN) {
            int pending = 0;                              /* frames issued in the window not yet answered? */
            for (int i = 0; i < opt.connections && !pending; i++) {
                conn_t *c = &conns[i];
                if (c->count > 0 && c->issued[c->head] < window_end) pending = 1;
            }
            if (!pending) break;
            if (now >= drain_until) {
                for (int i = 0; i < opt.connections; i++) {
                    conn_t *c = &conns[i];
                    for (uint32_t k = 0; k < c->count; k++) {
                        int64_t t = c->issued[(c->head + k) % c->cap];
                        if (t >= window_start && t < window_end) { record(&hist, now - t); late_frames++; }
                    }
                }
                break;
            }
        }
        int64_t timeout = 100000000LL;                    /* 100 ms: phase changes are checked at least that often */
        if (opt.rate > 0 && issuing) {
            /* At most ISSUE_BATCH frames between two polls: a generator that falls behind its schedule
             * must keep reading replies, or it starves itself and the server. Frames issued late keep
             * their due time, so the lateness is charged to the latency, not hidden. */
            double period = 1e9 / opt.rate;
            int batch = ISSUE_BATCH;
            while (batch > 0 && (int64_t)(open_start + due_index * period) <= now) {
                conn_t *c = &conns[due_index % (uint64_t)opt.connections];
                issue(c, (int64_t)(open_start + due_index * period));
                due_index++;
                batch--;
                send_frames(c);
            }
            int64_t next = (int64_t)(open_start + due_index * period) - now_ns();
            if (next < timeout) timeout = next < 0 ? 0 : next;
        }
        if (phase == MEASURE && measure_until - now < timeout) timeout = measure_until - now;
        if (phase == WARMUP && warm_end - now < timeout) timeout = warm_end - now;
        poll_once(timeout < 0 ? 0 : timeout);
    }
    if (opt.rate > 0 && window_end > window_start) {
        /* Frames due inside the window that the generator never got to send (it fell behind its own
         * schedule): late as well, by at least the time since they were due. Without this, an
         * overloaded run would report the latency of the few frames it managed to issue. */
        double period = 1e9 / opt.rate;
        int64_t now = now_ns();
        for (uint64_t k = due_index; (int64_t)(open_start + k * period) < window_end; k++) {
            int64_t due = (int64_t)(open_start + k * period);
            if (due >= window_start) { record(&hist, now - due); late_frames++; unissued_frames++; }
        }
    }
    if (opt.gate && !error_text[0]) gate("closing", 60000000000LL);

    double window_s = window_end > window_start ? (window_end - window_start) / 1e9 : 0;   /* 0: never measured */
    if (window_s == 0) cpu_end = cpu_start;
    double client_cpu = (cpu_end - cpu_start) / 1e9;
    printf("{\"mode\":\"%s\",\"host\":\"%s\",\"port\":%d,\"connections\":%d,\"size\":%" PRIu64 ",\"pipeline\":%d,\"rate\":%.1f,"
           "\"warmup_s\":%.3f,\"window_s\":%.6f,\"connect_s\":%.3f,\"frames\":%" PRIu64 ",\"drain_frames\":%" PRIu64 ",\"frames_per_s\":%.1f,\"bytes_per_s\":%.1f,",
           opt.handshakes ? "handshakes" : opt.rate > 0 ? "open" : "closed", opt.host, opt.port, opt.connections, opt.size, opt.rate > 0 ? 0 : opt.pipeline,
           opt.rate, opt.warmup_s, window_s, connect_s, window_frames, drain_frames, window_s > 0 ? window_frames / window_s : 0,
           window_s > 0 ? window_bytes / window_s : 0);
    printf("\"latency_us\":{\"count\":%" PRIu64 ",\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},\"late_frames\":%" PRIu64 ",\"unissued_frames\":%" PRIu64 ",",
           hist.total, hist.total ? hist.sum / hist.total / 1e3 : 0, percentile(&hist, 50) / 1e3, percentile(&hist, 90) / 1e3,
           percentile(&hist, 99) / 1e3, percentile(&hist, 99.9) / 1e3, hist.max / 1e3, late_frames, unissued_frames);
    printf("\"client_cpu_s\":%.4f,\"client_cores\":%.3f,\"client_cpu_ns_per_frame\":%.1f",
           client_cpu, window_s > 0 ? client_cpu / window_s : 0, window_frames ? (cpu_end - cpu_start) / (double)window_frames : 0);
    /* Everything else the machine did meanwhile: busy time minus this process and the ones sampled. */
    if (machine_start >= 0 && machine_end >= 0 && window_s > 0) {
        double other = (machine_end - machine_start) - (cpu_end - cpu_start);
        if (server.ok) other -= server.cpu_end - server.cpu_start;
        if (backend.ok) other -= backend.cpu_end - backend.cpu_start;
        printf(",\"machine_busy_cores\":%.3f,\"other_cores\":%.3f", (machine_end - machine_start) / 1e9 / window_s,
               other > 0 ? other / 1e9 / window_s : 0.0);
    }
#ifdef LOADGEN_TLS
    if (opt.tls_ca)
        printf(",\"tls\":{\"library\":\"%s\",\"version\":\"%s\",\"cipher\":\"%s\",\"group\":\"%s\",\"server_name\":\"%s\","
               "\"handshakes\":%" PRIu64 ",\"resumed\":%" PRIu64 "}",
               OpenSSL_version(OPENSSL_VERSION), tls_version, tls_cipher, tls_group, opt.tls_name, tls_full, tls_resumed);
#endif
    proc_sample_t *procs[2] = {&server, &backend};
    const char *names[2] = {"server", "backend"};
    for (int i = 0; i < 2; i++) {
        proc_sample_t *s = procs[i];
        if (s->pid <= 0) continue;
        if (!s->ok) { printf(",\"%s\":{\"pid\":%ld,\"error\":\"cannot read /proc/%ld/stat\"}", names[i], s->pid, s->pid); continue; }
        int64_t cpu = s->cpu_end - s->cpu_start;
        printf(",\"%s\":{\"pid\":%ld,\"cpu_s\":%.4f,\"cores\":%.3f,\"cpu_ns_per_frame\":%.1f,\"threads\":%ld,\"rss_kib\":%ld}",
               names[i], s->pid, cpu / 1e9, window_s > 0 ? cpu / 1e9 / window_s : 0,
               window_frames ? cpu / (double)window_frames : 0, s->threads, s->rss_kib);
    }
    if (error_text[0]) {
        printf(",\"error\":\"");
        for (const char *p = error_text; *p; p++) { if (*p == '"' || *p == '\\') putchar('\\'); putchar(*p); }
        printf("\"");
    }
    printf("}\n");
    fflush(stdout);
    for (int i = 0; i < opt.connections; i++) {
        if (conns[i].fd < 0) continue;
#ifdef LOADGEN_TLS
        tls_detach(&conns[i]);                           /* close_notify: the server sees a clean end */
#endif
        close(conns[i].fd);
    }
    return error_text[0] ? 1 : 0;
}
