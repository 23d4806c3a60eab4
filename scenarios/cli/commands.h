// The command table of the fleetsim binary, in the manner of Ninja's tool table: every
// subcommand has a name and a one-line summary, and `fleetsim help` lists them.
#pragma once

#include <string>
#include <vector>

namespace fleetsim {

struct Command {
  const char* name;
  const char* summary;
  // Returns the process exit code: 0 ok, 1 the simulation could not complete, 2 bad input.
  // Bad input is reported by throwing InputError; main prints it and returns 2.
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& Commands();

int RunEstimate(const std::vector<std::string>& args);
int RunList(const std::vector<std::string>& args);
int RunValidate(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);
int RunBenchPolicies(const std::vector<std::string>& args);
int RunTopo(const std::vector<std::string>& args);
int RunReport(const std::vector<std::string>& args);
int RunCompare(const std::vector<std::string>& args);
int RunSize(const std::vector<std::string>& args);

}  // namespace fleetsim
