/*
 * openbatch-spawner: starts task processes for one node agent with posix_spawn and reports their exits.
 *
 * Why it exists: Node's child_process.spawn forks the whole agent (libuv uses fork), and copying the page tables
 * of a Node heap costs several milliseconds of CPU per task on small machines — more than the task `/bin/true`
 * itself. glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK): no copy, about a third of the cost of xargs'
 * fork. The agent keeps every decision (argv splitting, environment, timeouts, kills); this program only starts
 * processes and reaps them. docs/agent-protocol.md ("Starting processes") describes the exchange.
 *
 * Requests on stdin, one frame each: a 4-byte little-endian payload length, then fields, each a 4-byte
 * little-endian length and that many bytes:
 *   id, cwd, stdout path, stderr path, mode ("w" truncate | "a" append), argc, argv..., envc, env ("K=V")...
 * Lengths, not terminators, delimit fields, so no value can run into the next one; a field holding a NUL byte
 * cannot become a C string intact and fails the request (EINVAL) instead of being cut short. Output files are
 * opened without following a symbolic link in their last component (O_NOFOLLOW): the task directory may belong to
 * the task's user, who must not turn the agent's open into a write elsewhere.
 * Replies on stdout, one line each:
 *   S <id> <pid>            started; the process leads a new session and process group (pgid = pid)
 *   F <id> <errno> <stage>  not started; stage is "open" (an output file), "cwd" or "exec"
 *   X <pid> <code> <signal> <user-us> <kernel-us> <read-ops> <write-ops> <read-bytes> <write-bytes> <max-rss-kib>
 *                           exited: exit status, or -1 and the signal number that ended it, then what the process
 *                           group used (below)
 * The program is looked up on the PATH of the request's environment (execvpe's rule); a program naming a `/`
 * resolves against cwd. End of stdin ends the spawner; processes it started keep running (they are reparented).
 *
 * What a process group used (the task's statistics, docs/statistics.md): the spawner is a child subreaper, so the
 * group's processes that outlive their parent become its children too (a sandbox's init once bwrap exits). Every
 * process it reaps is looked at while still a zombie (waitid WNOWAIT): its process group (/proc/<pid>/stat) and I/O
 * counters (/proc/<pid>/io: read/write system calls and bytes, its reaped descendants included), then its resource
 * usage (wait4: user and kernel CPU time, its reaped descendants included; the largest resident set). A group's
 * figures are the sum over its processes reaped here. The leader's exit is reported once the group has no process
 * left, or GROUP_GRACE_MS after the leader's exit: a process the group leaves running longer is not counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (16 * 1024 * 1024)
/* How long a leader's exit report waits for the rest of its group (a sandbox's init ends just after bwrap). */
#define GROUP_GRACE_MS 200

/* A process group the spawner started, and what its processes reaped so far used. */
struct group {
  pid_t leader;
  int exited;           /* the leader was reaped: code/signal hold its status */
  int code, signal;
  long long deadline_ms; /* report by then even if the group still has processes */
  unsigned long long user_us, kernel_us, read_ops, write_ops, read_bytes, write_bytes;
  long max_rss_kib;
};

static struct group *groups;
static size_t group_count, group_capacity;

static char *input;
static size_t input_length, input_capacity;

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void track_group(pid_t leader) {
  if (group_count == group_capacity) {
    size_t capacity = group_capacity == 0 ? 64 : group_capacity * 2;
    struct group *grown = realloc(groups, capacity * sizeof *groups);
    if (grown == NULL) return; /* untracked: its exit is reported without figures */
    groups = grown;
    group_capacity = capacity;
  }
  memset(&groups[group_count], 0, sizeof *groups);
  groups[group_count++].leader = leader;
}

static struct group *group_of(pid_t pgid) {
  for (size_t i = 0; i < group_count; i++) {
    if (groups[i].leader == pgid) return &groups[i];
  }
  return NULL;
}

static void reply(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stdout, format, args);
  va_end(args);
}

/*
 * The field at `*cursor` within `end`, copied into a NUL-terminated string (freed with the frame's fields), or NULL
 * when the frame is malformed or the field holds a NUL byte (`*bad` is then set).
 */
static char *next_field(char **cursor, char *end, int *bad) {
  if (end - *cursor < 4) {
    *bad = 1;
    return NULL;
  }
  uint8_t *header = (uint8_t *)*cursor;
  uint32_t length = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 24;
  char *data = *cursor + 4;
  if ((size_t)(end - data) < length || memchr(data, '\0', length) != NULL) {
    *bad = 1;
    return NULL;
  }
  char *field = malloc((size_t)length + 1);
  if (field == NULL) {
    *bad = 1;
    return NULL;
  }
  memcpy(field, data, length);
  field[length] = '\0';
  *cursor = data + length;
  return field;
}

static void free_list(char **list) {
  if (list == NULL) return;
  for (char **entry = list; *entry != NULL; entry++) free(*entry);
  free(list);
}

static char **next_list(char **cursor, char *end, int *bad) {
  char *count_text = next_field(cursor, end, bad);
  if (count_text == NULL) return NULL;
  long count = strtol(count_text, NULL, 10);
  free(count_text);
  if (count < 0 || count > 1 << 20) {
    *bad = 1;
    return NULL;
  }
  char **list = calloc((size_t)count + 1, sizeof(char *));
  if (list == NULL) {
    *bad = 1;
    return NULL;
  }
  for (long i = 0; i < count; i++) {
    list[i] = next_field(cursor, end, bad);
    if (list[i] == NULL) {
      free_list(list);
      return NULL;
    }
  }
  return list;
}

static const char *path_of(char **env) {
  for (char **entry = env; *entry != NULL; entry++) {
    if (strncmp(*entry, "PATH=", 5) == 0) return *entry + 5;
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

/* posix_spawn with execvpe's search: the first PATH entry that holds the program wins; EACCES is kept if none does. */
static int spawn_program(pid_t *pid, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes,
                         char **argv, char **env) {
  const char *program = argv[0];
  if (strchr(program, '/') != NULL) return posix_spawn(pid, program, actions, attributes, argv, env);
  const char *path = path_of(env);
  size_t program_length = strlen(program);
  int result = ENOENT;
  int denied = 0;
  for (const char *start = path;; ) {
    const char *colon = strchr(start, ':');
    size_t length = colon == NULL ? strlen(start) : (size_t)(colon - start);
    char *candidate = malloc(length + program_length + 2);
    if (candidate == NULL) return ENOMEM;
    if (length == 0) {
      memcpy(candidate, program, program_length + 1);
    } else {
      memcpy(candidate, start, length);
      candidate[length] = '/';
      memcpy(candidate + length + 1, program, program_length + 1);
    }
    result = posix_spawn(pid, candidate, actions, attributes, argv, env);
    free(candidate);
    if (result == 0) return 0;
    if (result == EACCES) denied = 1;
    else if (result != ENOENT && result != ENOTDIR) return result;
    if (colon == NULL) break;
    start = colon + 1;
  }
  return denied ? EACCES : result;
}

static void handle_frame(char *frame, size_t length) {
  char *cursor = frame, *end = frame + length;
  int bad = 0;
  char *id = next_field(&cursor, end, &bad);
  char *cwd = bad ? NULL : next_field(&cursor, end, &bad);
  char *stdout_path = bad ? NULL : next_field(&cursor, end, &bad);
  char *stderr_path = bad ? NULL : next_field(&cursor, end, &bad);
  char *mode = bad ? NULL : next_field(&cursor, end, &bad);
  char **argv = bad ? NULL : next_list(&cursor, end, &bad);
  char **env = bad ? NULL : next_list(&cursor, end, &bad);
  if (bad || argv[0] == NULL) {
    reply("F %s %d exec\n", id == NULL ? "?" : id, EINVAL);
    goto done;
  }
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (mode[0] == 'a' ? O_APPEND : O_TRUNC);
  int out = open(stdout_path, flags, 0644);
  int err = out < 0 ? -1 : open(stderr_path, flags, 0644);
  if (out < 0 || err < 0) {
    reply("F %s %d open\n", id, errno);
    if (out >= 0) close(out);
    goto done;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int result = spawn_program(&pid, &actions, &attributes, argv, env);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  close(out);
  close(err);
  if (result == 0) {
    track_group(pid);
    reply("S %s %d\n", id, (int)pid);
  } else {
    struct stat directory;
    int cwd_missing = stat(cwd, &directory) != 0 || !S_ISDIR(directory.st_mode);
    reply("F %s %d %s\n", id, result, cwd_missing ? "cwd" : "exec");
  }
done:
  free(id);
  free(cwd);
  free(stdout_path);
  free(stderr_path);
  free(mode);
  free_list(argv);
  free_list(env);
}

/* Consumes every complete frame in the input buffer. */
static int drain_input(void) {
  size_t offset = 0;
  while (input_length - offset >= 4) {
    uint8_t *header = (uint8_t *)input + offset;
    uint32_t length = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 24;
    if (length > MAX_FRAME) return -1;
    if (input_length - offset - 4 < length) break;
    handle_frame(input + offset + 4, length);
    offset += 4 + length;
  }
  memmove(input, input + offset, input_length - offset);
  input_length -= offset;
  return 0;
}

/* The process group of a zombie (field 5 of /proc/<pid>/stat), or -1. */
static pid_t zombie_group(pid_t pid) {
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *file = fopen(path, "re");
  if (file == NULL) return -1;
  size_t length = fread(text, 1, sizeof text - 1, file);
  fclose(file);
  text[length] = '\0';
  /* The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
  char *after = strrchr(text, ')');
  int parent, group;
  char state;
  if (after == NULL || sscanf(after + 1, " %c %d %d", &state, &parent, &group) != 3) return -1;
  return (pid_t)group;
}

/* Adds a zombie's I/O counters (/proc/<pid>/io, its reaped descendants included) to the group. */
static void add_io(pid_t pid, struct group *group) {
  char path[64], name[32];
  unsigned long long value;
  snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
  FILE *file = fopen(path, "re");
  if (file == NULL) return;
  while (fscanf(file, "%31[^:]: %llu\n", name, &value) == 2) {
    if (strcmp(name, "rchar") == 0) group->read_bytes += value;
    else if (strcmp(name, "wchar") == 0) group->write_bytes += value;
    else if (strcmp(name, "syscr") == 0) group->read_ops += value;
    else if (strcmp(name, "syscw") == 0) group->write_ops += value;
  }
  fclose(file);
}

static void report_exit(struct group *group) {
  reply("X %d %d %d %llu %llu %llu %llu %llu %llu %ld\n", (int)group->leader, group->code, group->signal, group->user_us, group->kernel_us,
        group->read_ops, group->write_ops, group->read_bytes, group->write_bytes, group->max_rss_kib);
  *group = groups[--group_count];
}

/* Reports the exited leaders whose group has no process left, or whose grace ran out. */
static void report_finished(void) {
  long long now = now_ms();
  for (size_t i = 0; i < group_count;) {
    struct group *group = &groups[i];
    if (group->exited && ((kill(-group->leader, 0) != 0 && errno == ESRCH) || now >= group->deadline_ms)) {
      report_exit(group); /* moves the last group into slot i */
      continue;
    }
    i++;
  }
}

/* Milliseconds until the nearest grace runs out (poll's timeout), or -1 when no exit report is waiting. */
static int next_deadline(void) {
  long long nearest = -1, now = now_ms();
  for (size_t i = 0; i < group_count; i++) {
    if (groups[i].exited && (nearest < 0 || groups[i].deadline_ms < nearest)) nearest = groups[i].deadline_ms;
  }
  if (nearest < 0) return -1;
  return nearest <= now ? 0 : (int)(nearest - now);
}

static void reap(void) {
  for (;;) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
    pid_t pid = info.si_pid;
    struct group *group = group_of(zombie_group(pid));
    if (group == NULL) group = group_of(pid);
    if (group != NULL) add_io(pid, group);
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) != pid) continue;
    if (group == NULL) {
      /* An orphan of a group already reported (the agent ignores the line), or a leader left untracked. */
      if (WIFEXITED(status)) reply("X %d %d 0\n", (int)pid, WEXITSTATUS(status));
      else if (WIFSIGNALED(status)) reply("X %d -1 %d\n", (int)pid, WTERMSIG(status));
      continue;
    }
    group->user_us += (unsigned long long)usage.ru_utime.tv_sec * 1000000 + (unsigned long long)usage.ru_utime.tv_usec;
    group->kernel_us += (unsigned long long)usage.ru_stime.tv_sec * 1000000 + (unsigned long long)usage.ru_stime.tv_usec;
    if (usage.ru_maxrss > group->max_rss_kib) group->max_rss_kib = usage.ru_maxrss;
    if (pid != group->leader) continue;
    group->exited = 1;
    group->deadline_ms = now_ms() + GROUP_GRACE_MS;
    if (WIFEXITED(status)) {
      group->code = WEXITSTATUS(status);
      group->signal = 0;
    } else {
      group->code = -1;
      group->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
  }
  report_finished();
}

int main(void) {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &child, NULL) != 0) return 2;
  /* Processes of a group that outlive their parent become ours, so what they used is counted (see the top). */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int children = signalfd(-1, &child, SFD_CLOEXEC | SFD_NONBLOCK);
  if (children < 0) return 2;
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  fcntl(2, F_SETFD, FD_CLOEXEC);
  input_capacity = 1 << 16;
  input = malloc(input_capacity);
  if (input == NULL) return 2;
  reply("R %d\n", (int)getpid());
  fflush(stdout);
  struct pollfd watched[2] = {{.fd = 0, .events = POLLIN}, {.fd = children, .events = POLLIN}};
  for (;;) {
    int ready = poll(watched, 2, next_deadline());
    if (ready < 0) {
      if (errno == EINTR) continue;
      return 2;
    }
    if (ready == 0) {
      report_finished();
      fflush(stdout);
      continue;
    }
    if (watched[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(children, &info, sizeof info) == sizeof info) {}
      reap();
    }
    if (watched[0].revents & (POLLIN | POLLHUP)) {
      if (input_capacity - input_length < 1 << 15) {
        input_capacity *= 2;
        if (input_capacity > 2 * MAX_FRAME + 8) return 2;
        input = realloc(input, input_capacity);
        if (input == NULL) return 2;
      }
      ssize_t got = read(0, input + input_length, input_capacity - input_length);
      if (got == 0) {
        fflush(stdout);
        return 0;
      }
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return 2;
      }
      input_length += (size_t)got;
      if (drain_input() != 0) return 2;
    }
    fflush(stdout);
  }
}
