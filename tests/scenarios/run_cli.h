// Runs the fleetsim binary in tests and captures what it prints and its exit code.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace fleetsim::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

// `args` is appended to the binary path as-is (already shell-quoted by the caller).
inline CliResult RunCli(const std::string& args) {
  static int counter = 0;
  const std::string err_path = std::string(::testing::TempDir()) + "/fleetsim_stderr_" +
                               std::to_string(getpid()) + "_" + std::to_string(++counter);
  const std::string cmd = std::string(FLEETSIM_BINARY) + " " + args + " 2>" + ShellQuote(err_path);
  CliResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (FILE* f = fopen(err_path.c_str(), "r")) {
    while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.err.append(buf.data(), n);
    fclose(f);
  }
  std::remove(err_path.c_str());
  return r;
}

}  // namespace fleetsim::testing
