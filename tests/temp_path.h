// A temporary path private to this test process: tests of different builds may run at the
// same time on one machine, so fixed names under /tmp would collide.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace fleetsim::testing {

inline std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/fleetsim_" + std::to_string(getpid()) + "_" + name;
}

}  // namespace fleetsim::testing
