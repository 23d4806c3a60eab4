#include "scenarios/cli/args.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "sim/config/config_error.h"
#include "sim/suggest.h"

namespace fleetsim {

ArgParser::ArgParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

void ArgParser::Flag(const std::string& name, const std::string& help) {
  options_.push_back({name, "", help, false});
}

void ArgParser::Option(const std::string& name, const std::string& metavar, const std::string& help,
                       bool repeatable) {
  options_.push_back({name, metavar, help, repeatable});
}

void ArgParser::Positional(const std::string& name, const std::string& help, bool required) {
  positional_specs_.emplace_back(name, help);
  positional_required_.push_back(required);
}

void ArgParser::Parse(const std::vector<std::string>& args) {
  std::vector<std::string> names;
  for (const auto& o : options_) names.push_back(o.name);
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_done && (a == "--help" || a == "-h")) {
      help_requested_ = true;
      return;
    }
    if (!options_done && a == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && a.size() > 1 && a[0] == '-') {
      std::string name = a, value;
      bool has_inline = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_inline = true;
      }
      auto it = std::find_if(options_.begin(), options_.end(),
                             [&](const Spec& s) { return s.name == name; });
      if (it == options_.end()) {
        throw InputError("unknown option '" + name + "' for 'fleetsim " + command_ +
                             "' (see 'fleetsim " + command_ + " --help')",
                         ClosestName(name, names).value_or(""));
      }
      if (it->metavar.empty()) {
        if (has_inline) throw InputError("option '" + name + "' takes no value");
        values_[name].push_back("");
      } else {
        if (!has_inline) {
          if (i + 1 >= args.size()) {
            throw InputError("option '" + name + "' needs a value: " + name + " " + it->metavar);
          }
          value = args[++i];
        }
        if (!it->repeatable && values_.count(name)) {
          throw InputError("option '" + name + "' given twice");
        }
        values_[name].push_back(value);
      }
      continue;
    }
    positionals_.push_back(a);
  }
  if (positionals_.size() > positional_specs_.size()) {
    throw InputError("unexpected argument '" + positionals_[positional_specs_.size()] +
                     "' for 'fleetsim " + command_ + "'");
  }
  for (size_t i = positionals_.size(); i < positional_specs_.size(); ++i) {
    if (positional_required_[i]) {
      throw InputError("'fleetsim " + command_ + "' needs " + positional_specs_[i].first +
                       " (see 'fleetsim " + command_ + " --help')");
    }
  }
}

std::string ArgParser::Help() const {
  std::string s = "usage: fleetsim " + command_;
  for (size_t i = 0; i < positional_specs_.size(); ++i) {
    s += positional_required_[i] ? " " + positional_specs_[i].first
                                 : " [" + positional_specs_[i].first + "]";
  }
  if (!options_.empty()) s += " [options]";
  s += "\n\n" + summary_ + "\n";
  if (!positional_specs_.empty()) {
    s += "\narguments:\n";
    for (const auto& [n, h] : positional_specs_) {
      std::string left = "  " + n;
      left.resize(std::max<size_t>(left.size() + 2, 30), ' ');
      s += left + h + "\n";
    }
  }
  if (!options_.empty()) {
    s += "\noptions:\n";
    for (const auto& o : options_) {
      std::string left = "  " + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
      left.resize(std::max<size_t>(left.size() + 2, 30), ' ');
      s += left + o.help + (o.repeatable ? " (repeatable)" : "") + "\n";
    }
  }
  return s;
}

bool ArgParser::Has(const std::string& name) const { return values_.count(name) > 0; }

std::optional<std::string> ArgParser::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ArgParser::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<std::string> ArgParser::Positional(size_t index) const {
  if (index >= positionals_.size()) return std::nullopt;
  return positionals_[index];
}

std::optional<double> ArgParser::GetQuantity(const std::string& name, const Dimension& d) const {
  auto v = Get(name);
  if (!v) return std::nullopt;
  ParsedQuantity q = ParseQuantityAs(*v, d);
  if (!q.quantity) {
    throw InputError(name + " '" + *v + "': " + q.error.message, q.error.suggestion);
  }
  return q.quantity->value;
}

std::optional<double> ArgParser::GetCount(const std::string& name) const {
  auto v = Get(name);
  if (!v) return std::nullopt;
  ParsedQuantity q = ParseCount(*v);
  if (!q.quantity) throw InputError(name + " '" + *v + "': " + q.error.message);
  return q.quantity->value;
}

std::optional<double> ArgParser::GetFraction(const std::string& name) const {
  auto v = GetQuantity(name, dim::kNumber);
  if (v && !(*v >= 0 && *v <= 1)) {
    throw InputError(name + " '" + *Get(name) + "': must be between 0 and 1 (or 0 % and 100 %)");
  }
  return v;
}

std::optional<int64_t> ArgParser::GetInt(const std::string& name) const {
  auto v = Get(name);
  if (!v) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || end != v->c_str() + v->size() || errno == ERANGE) {
    throw InputError(name + " '" + *v + "': expected an integer");
  }
  return x;
}

}  // namespace fleetsim
