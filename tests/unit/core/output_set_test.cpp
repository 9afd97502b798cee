// Tests for the run's output set (sim/report/report.h): writeFilesAtomic writes all files or none, and
// checkOutputPaths refuses clashes and unwritable paths before a run (issue 18).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/core/error.h"
#include "sim/core/output_files.h"

namespace mxsim {
namespace {

namespace fs = std::filesystem;

class OutputSet : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::path(::testing::TempDir()) / ("mxsim_output_set_" + std::to_string(getpid()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string at(const std::string& name) const { return (m_dir / name).string(); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  /// Files in the directory (temporaries included).
  std::size_t entries() const { return static_cast<std::size_t>(std::distance(fs::directory_iterator(m_dir), {})); }
  static std::string errorOf(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no mxsim::Error thrown";
    return "";
  }
  fs::path m_dir;
};

TEST_F(OutputSet, WritesEveryFile) {
  writeFilesAtomic({{at("a.json"), "A"}, {at("a.csv"), "C"}});
  EXPECT_EQ(read(at("a.json")), "A");
  EXPECT_EQ(read(at("a.csv")), "C");
  EXPECT_EQ(entries(), 2u);
}

TEST_F(OutputSet, AFailingLaterFileLeavesNoneOfTheSetAndKeepsOldFiles) {
  std::ofstream(at("old.json")) << "old";
  const std::string msg =
      errorOf([&] { writeFilesAtomic({{at("old.json"), "new"}, {at("missing-dir/w.vcd"), "V"}}); });
  EXPECT_NE(msg.find("missing-dir/w.vcd"), std::string::npos) << msg;
  EXPECT_EQ(read(at("old.json")), "old");  // not replaced
  EXPECT_EQ(entries(), 1u);                // and no temporary left
}

TEST_F(OutputSet, CheckRefusesClashesDirectoriesAndMissingDirectories) {
  std::ofstream(at("model.onnx")) << "m";
  const std::vector<NamedPath> inputs = {{"--model", at("model.onnx")}};
  // The same file however spelled.
  const std::string viaDot = (m_dir / "." / "model.onnx").string();
  EXPECT_NE(errorOf([&] { checkOutputPaths({{"--out", viaDot}}, inputs); }).find("same file as --model"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { checkOutputPaths({{"--out", at("r.json")}, {"--vcd", at("r.json")}}, inputs); })
                .find("--vcd"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { checkOutputPaths({{"--out", m_dir.string()}}, inputs); }).find("is a directory"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { checkOutputPaths({{"--out", at("nope/r.json")}}, inputs); }).find("cannot create"),
            std::string::npos);
  // Fine paths pass and leave nothing behind (the probe is removed); empty paths are not outputs.
  checkOutputPaths({{"--out", at("r.json")}, {"--vcd", ""}, {"--vcd", at("w.vcd")}}, inputs);
  EXPECT_EQ(entries(), 1u);
}

/// Fork a child that writes {report.json: "new", pipe: "x"}: it stages report.json's temporary, then blocks
/// opening the FIFO (no reader), i.e. stops between staging and renaming. Once the temporary holds "new", the
/// child gets `sig`. Returns the child's pid and wait status.
std::pair<pid_t, int> killWhileStaged(const std::string& target, const std::string& fifo, int sig) {
  const pid_t child = fork();
  if (child == 0) {
    // As a shell's background job the test may have started with SIGINT ignored; the child starts clean.
    for (const int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, SIG_DFL);
    try {
      writeFilesAtomic({{target, "new"}, {fifo, "x"}});
    } catch (...) {
    }
    _exit(0);
  }
  const std::string tmp = target + ".tmp-" + std::to_string(child);
  for (int i = 0; i < 3000; ++i) {
    std::error_code ec;
    if (fs::exists(tmp, ec) && fs::file_size(tmp, ec) == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let it reach the FIFO's open()
  kill(child, sig);
  int status = 0;
  bool reaped = false;
  for (int i = 0; i < 1000 && !(reaped = waitpid(child, &status, WNOHANG) == child); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!reaped) {  // still alive after 10 s: the signal did not end it (a failure, not a hang)
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    return {child, -1};
  }
  return {child, status};
}

// Issue 18: a run killed while writing its outputs never leaves a half-written file at the target. SIGKILL
// cannot be caught: the old file stays whole and the staged temporary remains beside it, under its own name.
TEST_F(OutputSet, SigkillWhileStagedKeepsTheOldFileAndLeavesOnlyTheNamedTemporary) {
  const std::string target = at("report.json"), fifo = at("pipe");
  std::ofstream(target) << "old";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto [child, status] = killWhileStaged(target, fifo, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_EQ(read(target), "old");
  const std::string tmp = target + ".tmp-" + std::to_string(child);
  EXPECT_EQ(read(tmp), "new");
  EXPECT_EQ(entries(), 3u);  // report.json, its temporary, the FIFO
}

// SIGINT and SIGTERM (Ctrl-C, a scheduler's kill) remove the staged temporaries, then end the process as the
// signal would: the old file stays whole and nothing else is left.
TEST_F(OutputSet, SigintOrSigtermWhileStagedRemovesTheTemporaries) {
  for (const int sig : {SIGINT, SIGTERM}) {
    const std::string target = at("report.json"), fifo = at("pipe");
    std::ofstream(target) << "old";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const auto [child, status] = killWhileStaged(target, fifo, sig);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "signal " << sig << ", status " << status;
    EXPECT_EQ(read(target), "old");
    EXPECT_FALSE(fs::exists(target + ".tmp-" + std::to_string(child))) << "signal " << sig;
    EXPECT_EQ(entries(), 2u);  // report.json, the FIFO
    fs::remove(fifo);
  }
}

}  // namespace
}  // namespace mxsim
