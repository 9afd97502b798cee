#include "sim/core/suggest.h"

#include <gtest/gtest.h>

namespace mxsim {

TEST(Suggest, EditDistanceCountsASwapOfNeighboursAsOneEdit) {
  EXPECT_EQ(editDistance("images", "images"), 0u);
  EXPECT_EQ(editDistance("imags", "images"), 1u);  // deletion
  EXPECT_EQ(editDistance("rnu", "run"), 1u);       // swap
  EXPECT_EQ(editDistance("clock", "block"), 1u);   // substitution
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
}

TEST(Suggest, ClosestIsWithinAThirdOfTheWordOrNothing) {
  const std::vector<std::string> options = {"--images", "--chips", "--no-progress", "--progress"};
  EXPECT_EQ(closest("--imags", options), "--images");
  EXPECT_EQ(closest("--no-progres", options), "--no-progress");
  EXPECT_EQ(closest("--frobnicate", options), "");
  // Short words get one edit at most: 'foo' is not a misspelling of 'noc'.
  EXPECT_EQ(closest("foo", {"noc", "tile", "clock"}), "");
  EXPECT_EQ(closest("clck", {"noc", "tile", "clock"}), "clock");
  EXPECT_EQ(closest("anything", {}), "");
}

}  // namespace mxsim
