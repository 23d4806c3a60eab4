// Typed, positioned reading of YAML configuration: the only door between fleetsim and
// yaml-cpp (which is used in config_parse.cc alone).
//
// A file is parsed once into a small tree of our own (ConfigDocument) that remembers, for
// every key and value, its line and column. Code reads it through ConfigNode views, which
// carry the key path ("devices[3].peak.fp16") so that every error can name file, line,
// column and key. Reading is strict:
//   - MapReader: every key of a map must be consumed or it is reported as unknown, with the
//     closest valid key suggested;
//   - quantities are strings with units (sim/units.h), checked against the dimension the
//     reader expects;
//   - duplicate keys are errors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/config_error.h"
#include "sim/time.h"
#include "sim/units.h"

namespace fleetsim {

struct ConfigMark {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

// One node of the parsed tree. Plain data: scalars keep their text exactly as written.
struct ConfigValue {
  enum class Kind { kNull, kScalar, kMap, kSequence };
  struct Entry;
  Kind kind = Kind::kNull;
  std::string scalar;
  bool quoted = false;             // the scalar was written in quotes
  std::vector<Entry> entries;      // kMap, in file order
  std::vector<ConfigValue> items;  // kSequence
  ConfigMark mark;
  std::string origin;  // non-empty for values set on the command line: "--set a.b=1"
};
struct ConfigValue::Entry {
  std::string key;
  ConfigMark key_mark;
  ConfigValue value;
};

class ConfigDocument;

// A view of one node with its key path. Cheap to copy; keeps the document alive.
class ConfigNode {
 public:
  ConfigValue::Kind kind() const { return value_->kind; }
  bool IsNull() const { return kind() == ConfigValue::Kind::kNull; }
  bool IsScalar() const { return kind() == ConfigValue::Kind::kScalar; }
  bool IsMap() const { return kind() == ConfigValue::Kind::kMap; }
  bool IsSequence() const { return kind() == ConfigValue::Kind::kSequence; }
  const std::string& path() const { return path_; }
  ConfigMark mark() const { return value_->mark; }
  const std::string& file() const;

  // Maps. Get() fails with a positioned error when the key is missing.
  bool Has(std::string_view key) const;
  std::optional<ConfigNode> Find(std::string_view key) const;
  ConfigNode Get(std::string_view key) const;
  std::vector<std::string> Keys() const;
  // The position of a key (for errors about the key itself).
  ConfigMark KeyMark(std::string_view key) const;

  // Sequences (a scalar or map is not silently treated as a one-element list).
  size_t size() const;
  ConfigNode At(size_t index) const;
  std::vector<ConfigNode> Items() const;

  // Scalars.
  std::string AsString() const;
  double AsDouble() const;
  int64_t AsInt() const;
  bool AsBool() const;
  // A string with units, converted to base units; must have the given dimension.
  double AsQuantity(const Dimension& d) const;
  // A duration with units ("1.5 us", "3 d"), via Duration::FromSeconds.
  Duration AsDuration() const;
  // A count such as "175B", "1.4T tokens", 2048.
  double AsCount() const;
  // One of `choices`, else an error that lists them and suggests the closest.
  std::string AsChoice(const std::vector<std::string>& choices) const;

  // Errors positioned at this node (or at one of its keys).
  [[noreturn]] void Fail(const std::string& message, const std::string& suggestion = "") const;
  [[noreturn]] void FailAtKey(std::string_view key, const std::string& message,
                              const std::string& suggestion = "") const;
  [[noreturn]] void FailAt(ConfigMark mark, const std::string& message,
                           const std::string& suggestion = "") const;

 private:
  friend class ConfigDocument;
  ConfigNode(std::shared_ptr<const ConfigDocument> doc, const ConfigValue* value, std::string path)
      : doc_(std::move(doc)), value_(value), path_(std::move(path)) {}
  void RequireScalar(const char* what) const;
  std::shared_ptr<const ConfigDocument> doc_;
  const ConfigValue* value_;
  std::string path_;
};

class ConfigDocument : public std::enable_shared_from_this<ConfigDocument> {
 public:
  // Parse errors and unreadable files throw ConfigError. Each override is "key.path=value"
  // (e.g. "services[0].replicas=16", "duration=2 d"); the value is read as YAML, replaces
  // the value at that path or adds the key to an existing map, and errors in it name the
  // override instead of a file position. A path that does not exist is an InputError.
  static std::shared_ptr<const ConfigDocument> LoadFile(
      const std::string& path, const std::vector<std::string>& overrides = {});
  // `name` stands for the file name in messages (e.g. "<command line>").
  static std::shared_ptr<const ConfigDocument> Parse(std::string_view text, std::string name);

  ConfigNode Root() const;
  const std::string& file() const { return file_; }
  std::string SourceLine(int line) const;  // 1-based; "" if out of range

 private:
  ConfigDocument() = default;
  void ApplyOverride(const std::string& assignment);
  std::string file_;
  std::vector<std::string> lines_;
  ConfigValue root_;
};

// Reads a map strictly: each key must be taken with Required/Optional, and Finish()
// reports the first key nobody took as unknown, suggesting the closest allowed key.
//
//   MapReader r(node);
//   double mem = r.Required("memory").AsQuantity(dim::kBytes);
//   auto tdp = r.Optional("tdp");
//   r.Finish();
class MapReader {
 public:
  explicit MapReader(const ConfigNode& node);
  ConfigNode Required(std::string_view key);
  std::optional<ConfigNode> Optional(std::string_view key);
  // Marks a key as valid without reading it (e.g. documentation-only keys like "note").
  void Ignore(std::string_view key);
  // Throws for the first unknown key, if any.
  void Finish() const;
  const ConfigNode& node() const { return node_; }

 private:
  ConfigNode node_;
  std::vector<std::string> allowed_;
};

}  // namespace fleetsim
