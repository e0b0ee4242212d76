/*
 * rawecho: the harness's ceiling. An epoll echo server of raw bytes, one thread, no framing.
 *
 * WHAT IT IS FOR
 *   Every benchmark round runs it next to the framing servers with the same load generator and the
 *   same frames. It does the least a server can do with them (read whatever arrived, write it back)
 *   so its frames/s is what the generator and the loopback on this machine can drive; a framing
 *   server close to it is limited by the harness, not by itself. Because it echoes bytes, every
 *   reply is still a valid frame and the generator verifies it like any other.
 *
 * HOW
 *   One thread, level-triggered epoll, one shared 256 KiB read buffer. A read is written straight
 *   back; only when the socket refuses part of it are the remaining bytes kept (in a buffer of that
 *   connection) and reading from that connection paused until they are written, so a client that
 *   does not read cannot make it buffer without bound. TCP_NODELAY on every connection, like the
 *   servers under test.
 *
 * RUN
 *   cc -O2 -o jmh/target/rawecho jmh/native/rawecho.c        (jmh/native/build.sh does this)
 *   jmh/target/rawecho [--host 127.0.0.1] [--port 0]
 *   Prints "listening on HOST:PORT (rawecho, pid PID)" once accepting, like loomframe serve;
 *   stops on SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BUFFER (256 * 1024)

typedef struct {
    int fd;
    char *pending;        /* bytes read but not yet written back, or NULL */
    size_t pending_len, pending_off;
} conn_t;

static volatile sig_atomic_t stop;
static int epfd, listener;
static char buffer[READ_BUFFER];
static unsigned long long accepted, bytes;

static void on_signal(int s) { (void)s; stop = 1; }

static void close_conn(conn_t *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pending);
    free(c);
}

static void watch(conn_t *c, unsigned events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is pending; returns 0 when all of it is written, 1 when the socket is full, -1 on error. */
static int flush_pending(conn_t *c) {
    while (c->pending_off < c->pending_len) {
        ssize_t w = write(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
        if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : (errno == EINTR ? 0 : -1);
        c->pending_off += (size_t)w;
    }
    free(c->pending);
    c->pending = NULL;
    c->pending_len = c->pending_off = 0;
    return 0;
}

static void readable(conn_t *c) {
    ssize_t r = read(c->fd, buffer, sizeof buffer);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) { close_conn(c); return; }
    if (r < 0) return;
    bytes += (unsigned long long)r;
    size_t off = 0;
    while (off < (size_t)r) {
        ssize_t w = write(c->fd, buffer + off, (size_t)r - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) { close_conn(c); return; }
            break;
        }
        off += (size_t)w;
    }
    if (off < (size_t)r) {                       /* socket full: keep the rest, stop reading, wait for room */
        c->pending_len = (size_t)r - off;
        c->pending = malloc(c->pending_len);
        memcpy(c->pending, buffer + off, c->pending_len);
        watch(c, EPOLLOUT);
    }
}

static void writable(conn_t *c) {
    int rc = flush_pending(c);
    if (rc < 0) close_conn(c);
    else if (rc == 0) watch(c, EPOLLIN);
}

static void accept_all(void) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_t *c = calloc(1, sizeof *c);
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        accepted++;
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { puts("usage: rawecho [--host 127.0.0.1] [--port 0]"); return 0; }
        if (i + 1 >= argc) { fprintf(stderr, "rawecho: %s needs a value\n", argv[i]); return 2; }
        if (!strcmp(argv[i], "--host")) host = argv[++i];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
        else { fprintf(stderr, "rawecho: unknown option %s\n", argv[i]); return 2; }
    }
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "rawecho: --host must be an IPv4 address, got %s\n", host); return 2; }
    listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 4096) < 0) {
        fprintf(stderr, "rawecho: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);
    printf("listening on %s:%d (rawecho, pid %d)\n", host, ntohs(addr.sin_port), (int)getpid());
    fflush(stdout);

    struct epoll_event events[512];
    while (!stop) {
        int n = epoll_wait(epfd, events, 512, 500);
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (c == NULL) { accept_all(); continue; }
            if (events[i].events & EPOLLOUT) writable(c);
            else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(c);
        }
    }
    printf("final stats: connections=%llu bytes=%llu\n", accepted, bytes);
    return 0;
}
