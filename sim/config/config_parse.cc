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

std::shared_ptr<const ConfigDocument> ConfigDocument::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "", "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError(path, 0, 0, "", "cannot read file");
  return Parse(ss.str(), path);
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
