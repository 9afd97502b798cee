// Contract: the files a command writes. Regular files are written atomically (temporary + rename) and a run's
// outputs as one set (all or none); symbolic links are kept, devices and FIFOs written through; output paths
// are checked against the inputs and each other before any work. Failures are mxsim::Error naming the path.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace mxsim {

/// Write `content` to `path` via a temporary file and rename, so no half-written file is ever left. A symbolic
/// link is kept (its target is replaced); a device or FIFO (e.g. /dev/stdout) is written through.
void writeFileAtomic(const std::string& path, const std::string& content);

/// Write the outputs of one run as a set: every regular file is first written to a temporary next to it, then
/// devices and FIFOs are written through, and only then are the temporaries renamed into place. A failure
/// before the renames removes every temporary, so no output of the set appears (nor is any replaced).
/// Symbolic links are kept, as by writeFileAtomic. `files`: (path, content).
void writeFilesAtomic(const std::vector<std::pair<std::string, std::string>>& files);

/// A path a command reads or writes, with the option that named it (for messages).
struct NamedPath {
  std::string option;  // "--out", "--model", ...
  std::string path;
};

/// Before any work is done: every output path (non-empty ones; empty = not written) names neither an input nor
/// another output (the same file, however spelled), is not a directory, and its directory accepts a new file
/// (probed by creating and removing the temporary the write would use). Devices and FIFOs are written through
/// and not probed. Throws Error naming the option and the path.
void checkOutputPaths(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs);

}  // namespace mxsim
