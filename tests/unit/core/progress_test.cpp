#include "sim/core/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace mxsim {

namespace {
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
}  // namespace

TEST(Progress, GroupsThousands) {
  EXPECT_EQ(groupThousands(0), "0");
  EXPECT_EQ(groupThousands(999), "999");
  EXPECT_EQ(groupThousands(3000), "3,000");
  EXPECT_EQ(groupThousands(1234567), "1,234,567");
}

TEST(Progress, ForcedOnANonTerminalPrintsStagesInImagesAndDeciles) {
  if (isatty(STDERR_FILENO)) GTEST_SKIP() << "stderr is a terminal";
  ::testing::internal::CaptureStderr();
  {
    Progress p("mxsim run", 200, ProgressMode::On);
    p.stage("chip 1/2: evaluating", 100);
    p.advance(50);
    p.advance(50);
    p.stage("chip 2/2: calibrating on 4 images");
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "mxsim run: chip 1/2: evaluating, 100 images (")) << err;
  EXPECT_TRUE(contains(err, "mxsim run:  25% chip 1/2: evaluating: 50/100 images")) << err;
  EXPECT_TRUE(contains(err, "mxsim run:  50% chip 1/2: evaluating: 100/100 images")) << err;
  EXPECT_TRUE(contains(err, "mxsim run: chip 2/2: calibrating on 4 images (")) << err;
}

TEST(Progress, OffAndAutoOnANonTerminalPrintNothingButNotes) {
  if (isatty(STDERR_FILENO)) GTEST_SKIP() << "stderr is a terminal";
  for (ProgressMode mode : {ProgressMode::Off, ProgressMode::Auto}) {
    ::testing::internal::CaptureStderr();
    {
      Progress p("mxsim run", 10, mode);
      PhaseLog phases(true, p);
      p.stage("chip 1/1: evaluating", 10);
      p.advance(10);
      phases.mark("evaluate", "chip 1/1");
      phases.summary();
    }
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_FALSE(contains(err, "images")) << err;
    EXPECT_TRUE(contains(err, "mxsim: evaluate ")) << err;
    EXPECT_TRUE(contains(err, "mxsim: phases: evaluate ")) << err;
  }
}

}  // namespace mxsim
