#include "sim/core/output_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sim/core/error.h"

namespace mxsim {

namespace {
/// Write straight into `path` (no temporary file): for what a rename would replace rather than write.
void writeThrough(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("{}: cannot write output", path));
  out << content;
  out.close();
  if (!out) throw Error(fmt::format("{}: failed while writing output", path));
}

/// Where a write to `path` lands and how: a symbolic link is followed to its target (a dangling one is
/// written through, so its target is created); a device, FIFO or other non-regular file is written through.
struct WriteTarget {
  std::string path;
  bool through = false;
};

WriteTarget resolveTarget(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char* target = realpath(path.c_str(), nullptr);
    if (!target) return {path, true};
    const std::string resolved(target);
    std::free(target);
    return resolveTarget(resolved);
  }
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return {path, true};
  return {path, false};
}

/// The temporaries of the set being written, for the signal handler below: fixed storage, since a handler may
/// only touch what needs no allocation. A SIGINT, SIGTERM or SIGHUP while a set is staged removes them, then
/// ends the process as the signal would have; SIGKILL cannot be caught, so after one a `<target>.tmp-<pid>`
/// may remain (never at the target's own name; docs/reliability.md).
constexpr std::size_t kMaxTrackedTemps = 32;
constexpr std::size_t kMaxTrackedPath = 4096;
char g_temps[kMaxTrackedTemps][kMaxTrackedPath];
volatile std::sig_atomic_t g_tempCount = 0;

extern "C" void removeTempsAndReraise(int sig) {
  for (std::sig_atomic_t i = 0; i < g_tempCount; ++i) ::unlink(g_temps[i]);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

/// Install the handler for the signals that end a run from outside, unless the program handles them itself.
void installTempCleanup() {
  static const bool installed = [] {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction sa {};
        sa.sa_handler = removeTempsAndReraise;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, nullptr);
      }
    }
    return true;
  }();
  (void)installed;
}

void trackTemp(const std::string& tmp) {
  if (g_tempCount >= static_cast<std::sig_atomic_t>(kMaxTrackedTemps) || tmp.size() >= kMaxTrackedPath) return;
  std::memcpy(g_temps[g_tempCount], tmp.c_str(), tmp.size() + 1);
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the path is complete before the handler can see it
  g_tempCount = g_tempCount + 1;
}

void untrackTemps() { g_tempCount = 0; }

std::string tempPathFor(const std::string& target) { return fmt::format("{}.tmp-{}", target, static_cast<long>(getpid())); }

/// Whether two paths name the same file: the same inode when both exist, else the same normalised path.
bool sameFile(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  std::error_code ea, eb;
  const auto ca = std::filesystem::weakly_canonical(a, ea), cb = std::filesystem::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}
}  // namespace

void writeFilesAtomic(const std::vector<std::pair<std::string, std::string>>& files) {
  struct Staged {
    std::string target, tmp;
  };
  std::vector<Staged> staged;
  std::vector<std::pair<std::string, const std::string*>> through;
  for (const auto& [path, content] : files) {
    const WriteTarget t = resolveTarget(path);
    if (t.through) {
      through.emplace_back(t.path, &content);
      continue;
    }
    for (const Staged& s : staged)
      if (s.target == t.path) throw Error(fmt::format("{}: named twice as an output of one run", path));
    staged.push_back({t.path, tempPathFor(t.path)});
  }
  auto removeTemps = [&](std::size_t from) {
    for (std::size_t i = from; i < staged.size(); ++i) std::remove(staged[i].tmp.c_str());
    untrackTemps();
  };
  installTempCleanup();
  try {
    std::size_t k = 0;
    for (const auto& [path, content] : files) {
      if (resolveTarget(path).through) continue;
      const Staged& s = staged[k++];
      trackTemp(s.tmp);
      std::ofstream out(s.tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw Error(fmt::format("{}: cannot write output file", path));
      out << content;
      out.close();
      if (!out) throw Error(fmt::format("{}: failed while writing output file", path));
    }
    for (const auto& [path, content] : through) writeThrough(path, *content);
  } catch (...) {
    removeTemps(0);
    throw;
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    if (std::rename(staged[i].tmp.c_str(), staged[i].target.c_str()) != 0) {
      removeTemps(i);
      throw Error(fmt::format("{}: cannot move output file into place", staged[i].target));
    }
  }
  untrackTemps();
}

void writeFileAtomic(const std::string& path, const std::string& content) { writeFilesAtomic({{path, content}}); }

void checkOutputPaths(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& o = outputs[i];
    if (o.path.empty()) continue;
    const WriteTarget t = resolveTarget(o.path);
    struct stat st {};
    if (stat(t.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      throw Error(fmt::format("{} {}: is a directory, expected a file path", o.option, o.path));
    if (t.through) continue;  // a device or FIFO (e.g. /dev/stdout): written through, may be shared
    for (const NamedPath& in : inputs)
      if (!in.path.empty() && sameFile(o.path, in.path))
        throw Error(fmt::format("{} {}: is the same file as {} {}; it would be overwritten", o.option, o.path,
                                in.option, in.path));
    for (std::size_t j = 0; j < i; ++j)
      if (!outputs[j].path.empty() && sameFile(o.path, outputs[j].path))
        throw Error(fmt::format("{} {}: is the same file as {} {}; one output would overwrite the other", o.option,
                                o.path, outputs[j].option, outputs[j].path));
    // Probe with the very temporary the write will use: it fails exactly when the final write would.
    const std::string probe = tempPathFor(t.path);
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
      throw Error(fmt::format("{} {}: cannot create the output file ({}); checked before running", o.option, o.path,
                              std::strerror(errno)));
    ::close(fd);
    ::unlink(probe.c_str());
  }
}

}  // namespace mxsim
