// A strict command-line parser: every option is declared, unknown options and missing
// values are InputErrors (exit 2) with the closest valid option suggested.
// Accepts "--name value" and "--name=value"; "--" ends options.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/units.h"

namespace fleetsim {

class ArgParser {
 public:
  ArgParser(std::string command, std::string summary);

  // Declarations. `metavar` empty = a flag without value.
  void Flag(const std::string& name, const std::string& help);
  void Option(const std::string& name, const std::string& metavar, const std::string& help,
              bool repeatable = false);
  void Positional(const std::string& name, const std::string& help, bool required = true);

  // Throws InputError. "--help" / "-h" sets help_requested() instead.
  void Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  std::string Help() const;

  bool Has(const std::string& name) const;
  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  std::optional<std::string> Positional(size_t index) const;

  // Typed getters; errors name the option.
  std::optional<double> GetQuantity(const std::string& name, const Dimension& d) const;
  std::optional<double> GetCount(const std::string& name) const;
  // A fraction: "0.33" or "33 %".
  std::optional<double> GetFraction(const std::string& name) const;
  std::optional<int64_t> GetInt(const std::string& name) const;

 private:
  struct Spec {
    std::string name, metavar, help;
    bool repeatable = false;
  };
  std::string command_, summary_;
  std::vector<Spec> options_;
  std::vector<std::pair<std::string, std::string>> positional_specs_;
  std::vector<bool> positional_required_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  bool help_requested_ = false;
};

}  // namespace fleetsim
