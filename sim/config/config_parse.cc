// The one file that includes yaml-cpp: converts its node tree into ConfigValue, keeping
// positions, and turns yaml-cpp's exceptions into ConfigError.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "sim/config/config.h"

namespace fleetsim {

namespace {

constexpr int kMaxDepth = 200;

ConfigMark ToMark(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return ConfigMark{m.line + 1, m.column + 1};
}

class Converter {
 public:
  Converter(const ConfigDocument& doc, const std::string& file) : doc_(doc), file_(file) {}
  Converter(const ConfigDocument& doc, std::string&& file) = delete;

  ConfigValue Convert(const YAML::Node& n, const std::string& path, int depth) {
    ConfigValue v;
    v.mark = ToMark(n.Mark());
    if (depth > kMaxDepth) Fail(v.mark, path, "nesting deeper than 200 levels");
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        v.kind = ConfigValue::Kind::kNull;
        break;
      case YAML::NodeType::Scalar:
        v.kind = ConfigValue::Kind::kScalar;
        v.scalar = n.Scalar();
        v.quoted = n.Tag() == "!";
        break;
      case YAML::NodeType::Sequence: {
        v.kind = ConfigValue::Kind::kSequence;
        size_t i = 0;
        for (const auto& item : n) {
          v.items.push_back(Convert(item, path + "[" + std::to_string(i) + "]", depth + 1));
          ++i;
        }
        break;
      }
      case YAML::NodeType::Map: {
        v.kind = ConfigValue::Kind::kMap;
        for (auto it = n.begin(); it != n.end(); ++it) {
          // Copies: the iterator's pair is a temporary proxy in yaml-cpp.
          const YAML::Node key = it->first;
          const YAML::Node value = it->second;
          const ConfigMark key_mark = ToMark(key.Mark());
          if (!key.IsScalar()) Fail(key_mark, path, "map keys must be plain names");
          const std::string k = key.Scalar();
          for (const auto& e : v.entries) {
            if (e.key == k) {
              Fail(key_mark, path.empty() ? k : path + "." + k,
                   "duplicate key '" + k + "' (first given on line " +
                       std::to_string(e.key_mark.line) + ")");
            }
          }
          const std::string child = path.empty() ? k : path + "." + k;
          v.entries.push_back({k, key_mark, Convert(value, child, depth + 1)});
        }
        break;
      }
    }
    return v;
  }

 private:
  [[noreturn]] void Fail(ConfigMark m, const std::string& path, const std::string& msg) {
    throw ConfigError(file_, m.line, m.column, path, msg, doc_.SourceLine(m.line));
  }
  const ConfigDocument& doc_;
  const std::string& file_;
};

}  // namespace

std::shared_ptr<const ConfigDocument> ConfigDocument::LoadFile(
    const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "", "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError(path, 0, 0, "", "cannot read file");
  auto doc = Parse(ss.str(), path);
  if (overrides.empty()) return doc;
  auto copy = std::shared_ptr<ConfigDocument>(new ConfigDocument(*doc));
  for (const auto& o : overrides) copy->ApplyOverride(o);
  return copy;
}

namespace {
void MarkOrigin(ConfigValue& v, const std::string& origin) {
  v.origin = origin;
  for (auto& e : v.entries) MarkOrigin(e.value, origin);
  for (auto& i : v.items) MarkOrigin(i, origin);
}
}  // namespace

void ConfigDocument::ApplyOverride(const std::string& assignment) {
  const std::string origin = "--set " + assignment;
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError("--set '" + assignment + "': expected key.path=value");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  ConfigValue value;
  try {
    Converter conv(*this, origin);
    value = conv.Convert(YAML::Load(text), path, 0);
  } catch (const YAML::Exception& e) {
    throw InputError("--set '" + assignment + "': invalid value: " + e.msg);
  }
  MarkOrigin(value, origin);
  // Walk "a.b[2].c": map keys separated by dots, list indices in brackets.
  ConfigValue* node = &root_;
  size_t i = 0;
  std::string walked;
  while (i < path.size()) {
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos) throw InputError("--set '" + assignment + "': missing ']'");
      size_t index = 0;
      try {
        index = std::stoul(path.substr(i + 1, close - i - 1));
      } catch (...) {
        throw InputError("--set '" + assignment + "': bad list index");
      }
      // One past the end of a list, as the last step of the path, appends to it.
      if (node->kind == ConfigValue::Kind::kSequence && index == node->items.size() &&
          close + 1 == path.size()) {
        node->items.emplace_back();
        node->items.back().origin = origin;
      }
      if (node->kind != ConfigValue::Kind::kSequence || index >= node->items.size()) {
        throw InputError("--set '" + assignment + "': " + walked + " has no element [" +
                         std::to_string(index) + "]");
      }
      walked += path.substr(i, close - i + 1);
      node = &node->items[index];
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string::npos) end = path.size();
    const std::string key = path.substr(i, end - i);
    if (node->kind == ConfigValue::Kind::kNull) node->kind = ConfigValue::Kind::kMap;
    if (node->kind != ConfigValue::Kind::kMap) {
      throw InputError("--set '" + assignment +
                       "': " + (walked.empty() ? "the top level" : walked) + " is not a map");
    }
    walked += (walked.empty() ? "" : ".") + key;
    ConfigValue* child = nullptr;
    for (auto& e : node->entries) {
      if (e.key == key) child = &e.value;
    }
    if (!child) {
      ConfigValue::Entry entry;
      entry.key = key;
      entry.value.origin = origin;
      node->entries.push_back(std::move(entry));
      child = &node->entries.back().value;
    }
    node = child;
    i = end;
    if (i < path.size() && path[i] == '.') ++i;
  }
  *node = std::move(value);
}

std::shared_ptr<const ConfigDocument> ConfigDocument::Parse(std::string_view text,
                                                            std::string name) {
  std::shared_ptr<ConfigDocument> doc(new ConfigDocument());
  doc->file_ = std::move(name);
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      doc->lines_.push_back(std::move(line));
      line.clear();
    } else {
      line += c;
    }
  }
  doc->lines_.push_back(line);
  if (text.find('\0') != std::string_view::npos) {
    throw ConfigError(doc->file_, 0, 0, "", "file contains NUL bytes: not a YAML text file");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const ConfigMark m = ToMark(e.mark);
    throw ConfigError(doc->file_, m.line, m.column, "", "invalid YAML: " + e.msg,
                      doc->SourceLine(m.line));
  }
  Converter conv(*doc, doc->file_);
  doc->root_ = conv.Convert(root, "", 0);
  if (doc->root_.mark.line == 0) doc->root_.mark = ConfigMark{1, 1};
  return doc;
}

}  // namespace fleetsim
