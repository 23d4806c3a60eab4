// Named, documented, listable factories: every policy, generator and arrival process is
// registered under a stable name with a one-line summary and a longer doc, so users can
// `fleetsim list ...` them and a misspelt name gets "did you mean".
//
// Registries are immutable once built (function-local statics returned by const
// reference); they hold no simulation state, so one process can run many simulations
// side by side.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/config_error.h"
#include "sim/suggest.h"

namespace fleetsim {

template <class Factory>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string summary;  // one line, for `fleetsim list`
    std::string doc;      // parameters and behaviour, for docs and `--help`
    Factory factory;
  };

  explicit Registry(std::string what) : what_(std::move(what)) {}

  // Precondition: the name is not registered yet (a programming error otherwise).
  Registry& Add(Entry e) {
    if (TryFind(e.name)) throw std::logic_error("duplicate " + what_ + " '" + e.name + "'");
    entries_.push_back(std::move(e));
    return *this;
  }

  const Entry* TryFind(std::string_view name) const {
    for (const auto& e : entries_) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }

  // Throws InputError naming the kind of thing and suggesting the closest name.
  const Entry& Find(std::string_view name) const {
    if (const Entry* e = TryFind(name)) return *e;
    throw InputError("unknown " + what_ + " '" + std::string(name) + "' (one of: " + Names() + ")",
                     ClosestName(name, NameList()).value_or(""));
  }

  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& what() const { return what_; }

  std::vector<std::string> NameList() const {
    std::vector<std::string> names;
    for (const auto& e : entries_) names.push_back(e.name);
    return names;
  }

 private:
  std::string Names() const {
    std::string s;
    for (const auto& e : entries_) s += (s.empty() ? "" : ", ") + e.name;
    return s;
  }
  std::string what_;
  std::vector<Entry> entries_;
};

}  // namespace fleetsim
