// Fetch responses without the user-space copy: a Node-API addon that writes a response made of
// buffers and file ranges to a TCP socket with send() and sendfile(), on one sender thread of its
// own (Linux only; src/acceptor/file-sender.ts loads it and falls back to Node's writes without it).
//
// Node (libuv) owns the socket: the addon works on a dup() of its fd, made on the main thread when
// the job is submitted, so a socket the main thread closes meanwhile can never be confused with a
// reused fd number, and every file fd of the job is dup()ed the same way, so the file stays open
// (even deleted by retention) until the job is done. The caller keeps libuv's own writes off the
// socket while a job runs (connection.ts: a job starts when Node's write queue is empty, and later
// responses wait for it).
//
//   main thread                          sender thread (one per Node environment)
//   submit(fd, pieces, cb) ── job ──►    eventfd wakes epoll_wait; the job is written piece by piece:
//                                        send(MSG_MORE) for buffers, sendfile() for file ranges;
//                                        EAGAIN: EPOLLOUT|EPOLLONESHOT on the job's dup, wait
//   cb(errno, bytesSent)   ◄── tsfn ──   done or failed: dups closed, completion posted
//   cancel(id) ── id ──►                 a job still waiting is failed with ECANCELED
//
// Nothing here blocks libuv's thread pool or the main thread: the socket is non-blocking (libuv
// made it so; the flag lives on the shared file description), and a page-cache miss in sendfile()
// blocks only the sender thread.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>

typedef struct {
  const uint8_t *data; // a buffer piece; NULL for a file range
  int fd;              // a file range: our dup of the file
  int64_t position;
  size_t length;
} piece_t;

typedef struct job {
  struct job *next;      // in the incoming list, then in the active list
  struct job *prev;      // active list only
  uint32_t id;
  int sock;              // our dup of the socket
  piece_t *pieces;
  size_t count;
  size_t index;          // the piece being written
  size_t done_in_piece;  // bytes of it already written
  double sent;
  int err;
  int armed;             // registered with epoll
  napi_ref keep;         // the pieces array (its buffers stay alive until completion)
  napi_ref callback;
} job_t;

typedef struct {
  int epfd;
  int evfd;
  pthread_t thread;
  int started;
  pthread_mutex_t mu;
  job_t *incoming_head, *incoming_tail; // submitted, not yet seen by the thread (mu)
  uint32_t *cancels;                    // ids to cancel (mu)
  size_t cancel_count, cancel_cap;
  int stopping;                         // (mu)
  job_t *active;                        // thread only
  uint32_t next_id;                     // main thread only
  napi_threadsafe_function tsfn;
} sender_t;

static void wake(sender_t *s) {
  uint64_t one = 1;
  ssize_t r = write(s->evfd, &one, sizeof one);
  (void)r; // EAGAIN means the counter is already non-zero: the thread wakes anyway
}

static void close_job_fds(job_t *job) {
  if (job->sock >= 0) close(job->sock);
  job->sock = -1;
  for (size_t i = 0; i < job->count; i++) {
    if (job->pieces[i].data == NULL && job->pieces[i].fd >= 0) close(job->pieces[i].fd);
    job->pieces[i].fd = -1;
  }
}

// Thread: the job is done (err 0) or failed; it leaves the active list and goes back to JS.
static void complete(sender_t *s, job_t *job) {
  if (job->armed) epoll_ctl(s->epfd, EPOLL_CTL_DEL, job->sock, NULL);
  close_job_fds(job);
  if (job->prev) job->prev->next = job->next; else s->active = job->next;
  if (job->next) job->next->prev = job->prev;
  job->next = job->prev = NULL;
  if (napi_call_threadsafe_function(s->tsfn, job, napi_tsfn_nonblocking) != napi_ok) {
    // The environment is going away: nobody is left to tell.
    free(job->pieces);
    free(job);
  }
}

// Thread: writes what the socket takes; returns when the job is done, failed, or must wait.
static void progress(sender_t *s, job_t *job) {
  while (job->index < job->count) {
    piece_t *p = &job->pieces[job->index];
    size_t left = p->length - job->done_in_piece;
    ssize_t n;
    if (left == 0) {
      job->index++;
      job->done_in_piece = 0;
      continue;
    }
    if (p->data != NULL) {
      int more = job->index + 1 < job->count ? MSG_MORE : 0;
      n = send(job->sock, p->data + job->done_in_piece, left, MSG_NOSIGNAL | MSG_DONTWAIT | more);
    } else {
      off_t at = (off_t)(p->position + (int64_t)job->done_in_piece);
      n = sendfile(job->sock, p->fd, &at, left > 0x7ffff000 ? 0x7ffff000 : left);
      if (n == 0) {
        // The file ends before the range does (truncated under us): never send short.
        job->err = EIO;
        complete(s, job);
        return;
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data = { .ptr = job } };
        if (epoll_ctl(s->epfd, job->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, job->sock, &ev) == 0) {
          job->armed = 1;
          return;
        }
      }
      job->err = errno;
      complete(s, job);
      return;
    }
    job->done_in_piece += (size_t)n;
    job->sent += (double)n;
  }
  complete(s, job);
}

static void *sender_main(void *arg) {
  sender_t *s = arg;
  pthread_setname_np(pthread_self(), "hw-sendfile"); // per-thread CPU in bench/thread-cpu.py
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(s->epfd, events, 64, -1);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL) continue; // the eventfd: handled below
      progress(s, events[i].data.ptr);
    }
    uint64_t count;
    ssize_t r = read(s->evfd, &count, sizeof count);
    (void)r;
    pthread_mutex_lock(&s->mu);
    job_t *incoming = s->incoming_head;
    s->incoming_head = s->incoming_tail = NULL;
    size_t cancel_count = s->cancel_count;
    uint32_t cancels[64];
    if (cancel_count > 64) cancel_count = 64;
    memcpy(cancels, s->cancels, cancel_count * sizeof *cancels);
    memmove(s->cancels, s->cancels + cancel_count, (s->cancel_count - cancel_count) * sizeof *cancels);
    s->cancel_count -= cancel_count;
    int more_cancels = s->cancel_count > 0;
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    if (more_cancels) wake(s);
    while (incoming) {
      job_t *job = incoming;
      incoming = job->next;
      job->prev = NULL;
      job->next = s->active;
      if (s->active) s->active->prev = job;
      s->active = job;
      progress(s, job);
    }
    for (size_t c = 0; c < cancel_count; c++) {
      for (job_t *job = s->active; job; job = job->next) {
        if (job->id != cancels[c]) continue;
        job->err = ECANCELED;
        complete(s, job);
        break;
      }
    }
    if (stopping) break;
  }
  return NULL;
}

// Main thread: the job's completion, on the JS thread: cb(errno, bytesSent).
static void call_js(napi_env env, napi_value unused, void *context, void *data) {
  (void)unused;
  (void)context;
  job_t *job = data;
  if (env != NULL) {
    napi_value cb, recv, args[2];
    if (napi_get_reference_value(env, job->callback, &cb) == napi_ok && cb != NULL) {
      napi_get_undefined(env, &recv);
      napi_create_int32(env, job->err, &args[0]);
      napi_create_double(env, job->sent, &args[1]);
      napi_call_function(env, recv, cb, 2, args, NULL);
    }
    napi_delete_reference(env, job->callback);
    napi_delete_reference(env, job->keep);
  }
  free(job->pieces);
  free(job);
}

static void cleanup(void *arg) {
  sender_t *s = arg;
  if (s->started) {
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_mutex_unlock(&s->mu);
    wake(s);
    pthread_join(s->thread, NULL);
    for (job_t *job = s->active; job;) {
      job_t *next = job->next;
      close_job_fds(job);
      free(job->pieces);
      free(job);
      job = next;
    }
    for (job_t *job = s->incoming_head; job;) {
      job_t *next = job->next;
      close_job_fds(job);
      free(job->pieces);
      free(job);
      job = next;
    }
  }
  close(s->epfd);
  close(s->evfd);
  free(s->cancels);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int64_t get_int64(napi_env env, napi_value v, int *ok) {
  int64_t out = 0;
  if (napi_get_value_int64(env, v, &out) != napi_ok) *ok = 0;
  return out;
}

// submit(socketFd, pieces, callback) -> job id. A piece is a Uint8Array, or [fd, position, length].
static napi_value submit(napi_env env, napi_callback_info info) {
  sender_t *s;
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s);
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "submit(fd, pieces, callback)");
    return NULL;
  }
  int ok = 1;
  int64_t sock = get_int64(env, argv[0], &ok);
  uint32_t count = 0;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok || count == 0) {
    napi_throw_type_error(env, NULL, "submit: a socket fd and a non-empty array of pieces");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  piece_t *pieces = calloc(count, sizeof *pieces);
  if (!job || !pieces) {
    free(job);
    free(pieces);
    napi_throw_error(env, NULL, "submit: out of memory");
    return NULL;
  }
  job->pieces = pieces;
  job->count = count;
  job->sock = -1;
  for (uint32_t i = 0; i < count; i++) pieces[i].fd = -1;
  const char *bad = NULL;
  for (uint32_t i = 0; i < count && !bad; i++) {
    napi_value item;
    napi_get_element(env, argv[1], i, &item);
    bool typed = false;
    napi_is_typedarray(env, item, &typed);
    if (typed) {
      napi_typedarray_type type;
      size_t length;
      void *data;
      napi_get_typedarray_info(env, item, &type, &length, &data, NULL, NULL);
      if (type != napi_uint8_array) { bad = "a buffer piece must be a Uint8Array"; break; }
      pieces[i].data = data != NULL ? data : (const uint8_t *)"";
      pieces[i].length = length;
      continue;
    }
    bool arr = false;
    uint32_t len = 0;
    napi_is_array(env, item, &arr);
    if (!arr || napi_get_array_length(env, item, &len) != napi_ok || len != 3) { bad = "a file piece is [fd, position, length]"; break; }
    napi_value v;
    int fine = 1;
    napi_get_element(env, item, 0, &v);
    int64_t fd = get_int64(env, v, &fine);
    napi_get_element(env, item, 1, &v);
    int64_t position = get_int64(env, v, &fine);
    napi_get_element(env, item, 2, &v);
    int64_t length = get_int64(env, v, &fine);
    if (!fine || fd < 0 || position < 0 || length < 0) { bad = "a file piece needs a non-negative fd, position and length"; break; }
    int dup_fd = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) {
      int err = errno;
      close_job_fds(job);
      free(pieces);
      free(job);
      return throw_errno(env, "submit: dup of a file", err);
    }
    pieces[i].fd = dup_fd;
    pieces[i].position = position;
    pieces[i].length = (size_t)length;
  }
  if (bad) {
    close_job_fds(job);
    free(pieces);
    free(job);
    napi_throw_type_error(env, NULL, bad);
    return NULL;
  }
  int sock_dup = sock >= 0 ? fcntl((int)sock, F_DUPFD_CLOEXEC, 0) : -1;
  if (sock_dup < 0) {
    int err = sock >= 0 ? errno : EBADF;
    close_job_fds(job);
    free(pieces);
    free(job);
    return throw_errno(env, "submit: dup of the socket", err);
  }
  job->sock = sock_dup;
  napi_create_reference(env, argv[1], 1, &job->keep);
  napi_create_reference(env, argv[2], 1, &job->callback);
  job->id = ++s->next_id;
  if (!s->started) {
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
      int err = errno;
      napi_delete_reference(env, job->keep);
      napi_delete_reference(env, job->callback);
      close_job_fds(job);
      free(pieces);
      free(job);
      return throw_errno(env, "submit: sender thread", err);
    }
    s->started = 1;
  }
  pthread_mutex_lock(&s->mu);
  if (s->incoming_tail) s->incoming_tail->next = job; else s->incoming_head = job;
  s->incoming_tail = job;
  pthread_mutex_unlock(&s->mu);
  wake(s);
  napi_value id;
  napi_create_uint32(env, job->id, &id);
  return id;
}

// cancel(id): a job still running fails with ECANCELED (its callback still comes); else nothing.
static napi_value cancel(napi_env env, napi_callback_info info) {
  sender_t *s;
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&s);
  uint32_t id = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "cancel(id)");
    return NULL;
  }
  pthread_mutex_lock(&s->mu);
  if (s->cancel_count == s->cancel_cap) {
    size_t cap = s->cancel_cap ? s->cancel_cap * 2 : 16;
    uint32_t *grown = realloc(s->cancels, cap * sizeof *grown);
    if (grown) {
      s->cancels = grown;
      s->cancel_cap = cap;
    }
  }
  if (s->cancel_count < s->cancel_cap) s->cancels[s->cancel_count++] = id;
  pthread_mutex_unlock(&s->mu);
  wake(s);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  sender_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epfd < 0 || s->evfd < 0) {
    int err = errno;
    if (s->epfd >= 0) close(s->epfd);
    if (s->evfd >= 0) close(s->evfd);
    free(s);
    return throw_errno(env, "sendfile addon: epoll/eventfd", err);
  }
  struct epoll_event ev = { .events = EPOLLIN, .data = { .ptr = NULL } };
  epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev);
  pthread_mutex_init(&s->mu, NULL);
  napi_value name;
  napi_create_string_utf8(env, "highwater-sendfile", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, call_js, &s->tsfn) != napi_ok) {
    cleanup(s);
    napi_throw_error(env, NULL, "sendfile addon: threadsafe function");
    return NULL;
  }
  // Pending jobs must not keep the process alive on their own: the connection holds what matters.
  napi_unref_threadsafe_function(env, s->tsfn);
  napi_add_env_cleanup_hook(env, cleanup, s);
  napi_property_descriptor props[] = {
    { "submit", NULL, submit, NULL, NULL, NULL, napi_default, s },
    { "cancel", NULL, cancel, NULL, NULL, NULL, napi_default, s },
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
