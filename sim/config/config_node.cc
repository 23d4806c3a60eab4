#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "sim/config/config.h"
#include "sim/suggest.h"

namespace fleetsim {

namespace {
const char* KindName(ConfigValue::Kind k) {
  switch (k) {
    case ConfigValue::Kind::kNull:
      return "nothing";
    case ConfigValue::Kind::kScalar:
      return "a single value";
    case ConfigValue::Kind::kMap:
      return "a map (key: value)";
    case ConfigValue::Kind::kSequence:
      return "a list";
  }
  return "?";
}

std::string JoinChoices(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += v[i];
  }
  return s;
}
}  // namespace

// ---- ConfigDocument ----

ConfigNode ConfigDocument::Root() const { return ConfigNode(shared_from_this(), &root_, ""); }

std::string ConfigDocument::SourceLine(int line) const {
  if (line < 1 || line > static_cast<int>(lines_.size())) return "";
  return lines_[line - 1];
}

// ---- ConfigNode ----

const std::string& ConfigNode::file() const { return doc_->file(); }

void ConfigNode::FailAt(ConfigMark m, const std::string& message,
                        const std::string& suggestion) const {
  if (!value_->origin.empty()) {
    throw ConfigError(value_->origin, 0, 0, path_, message, "", suggestion);
  }
  throw ConfigError(doc_->file(), m.line, m.column, path_, message, doc_->SourceLine(m.line),
                    suggestion);
}

void ConfigNode::Fail(const std::string& message, const std::string& suggestion) const {
  FailAt(value_->mark, message, suggestion);
}

void ConfigNode::FailAtKey(std::string_view key, const std::string& message,
                           const std::string& suggestion) const {
  const ConfigMark m = KeyMark(key);
  const std::string child = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  throw ConfigError(doc_->file(), m.line, m.column, child, message, doc_->SourceLine(m.line),
                    suggestion);
}

bool ConfigNode::Has(std::string_view key) const { return Find(key).has_value(); }

std::optional<ConfigNode> ConfigNode::Find(std::string_view key) const {
  if (!IsMap()) return std::nullopt;
  for (const auto& e : value_->entries) {
    if (e.key == key) {
      return ConfigNode(doc_, &e.value, path_.empty() ? e.key : path_ + "." + e.key);
    }
  }
  return std::nullopt;
}

ConfigNode ConfigNode::Get(std::string_view key) const {
  if (!IsMap())
    Fail(std::string("expected a map with key '") + std::string(key) + "', got " +
         KindName(kind()));
  if (auto n = Find(key)) return *n;
  Fail("missing required key '" + std::string(key) + "'");
}

std::vector<std::string> ConfigNode::Keys() const {
  std::vector<std::string> keys;
  for (const auto& e : value_->entries) keys.push_back(e.key);
  return keys;
}

ConfigMark ConfigNode::KeyMark(std::string_view key) const {
  for (const auto& e : value_->entries) {
    if (e.key == key) return e.key_mark;
  }
  return value_->mark;
}

size_t ConfigNode::size() const {
  if (!IsSequence()) Fail(std::string("expected a list, got ") + KindName(kind()));
  return value_->items.size();
}

ConfigNode ConfigNode::At(size_t i) const {
  if (i >= size()) Fail("list index " + std::to_string(i) + " out of range");
  return ConfigNode(doc_, &value_->items[i], path_ + "[" + std::to_string(i) + "]");
}

std::vector<ConfigNode> ConfigNode::Items() const {
  std::vector<ConfigNode> out;
  const size_t n = size();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(At(i));
  return out;
}

void ConfigNode::RequireScalar(const char* what) const {
  if (!IsScalar()) Fail(std::string("expected ") + what + ", got " + KindName(kind()));
}

std::string ConfigNode::AsString() const {
  RequireScalar("a text value");
  return value_->scalar;
}

double ConfigNode::AsDouble() const {
  RequireScalar("a number");
  const std::string& s = value_->scalar;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) {
    Fail("expected a number, got '" + s + "'");
  }
  return v;
}

int64_t ConfigNode::AsInt() const {
  RequireScalar("an integer");
  const std::string& s = value_->scalar;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) {
    Fail("expected an integer, got '" + s + "'");
  }
  return v;
}

bool ConfigNode::AsBool() const {
  RequireScalar("true or false");
  const std::string& s = value_->scalar;
  if (s == "true") return true;
  if (s == "false") return false;
  Fail("expected true or false, got '" + s + "'", ClosestName(s, {"true", "false"}).value_or(""));
}

double ConfigNode::AsQuantity(const Dimension& d) const {
  RequireScalar(DescribeDimension(d).c_str());
  const ParsedQuantity q = ParseQuantityAs(value_->scalar, d);
  if (!q.quantity) {
    ConfigMark m = value_->mark;
    // Point the caret at the offending character inside the value when we can: the
    // value starts after the opening quote if it was quoted.
    m.column += static_cast<int>(q.error.column) + (value_->quoted ? 1 : 0);
    FailAt(m, q.error.message, q.error.suggestion);
  }
  return q.quantity->value;
}

Duration ConfigNode::AsDuration() const {
  const double s = AsQuantity(dim::kSeconds);
  auto d = Duration::TryFromSeconds(s);
  if (!d) Fail("duration must be non-negative and below 292 years");
  return *d;
}

double ConfigNode::AsCount() const {
  RequireScalar("a count");
  const ParsedQuantity q = ParseCount(value_->scalar);
  if (!q.quantity) {
    ConfigMark m = value_->mark;
    m.column += static_cast<int>(q.error.column) + (value_->quoted ? 1 : 0);
    FailAt(m, q.error.message);
  }
  return q.quantity->value;
}

std::string ConfigNode::AsChoice(const std::vector<std::string>& choices) const {
  const std::string s = AsString();
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  Fail("'" + s + "' is not one of: " + JoinChoices(choices), ClosestName(s, choices).value_or(""));
}

// ---- MapReader ----

MapReader::MapReader(const ConfigNode& node) : node_(node) {
  if (!node.IsMap()) {
    node.Fail(std::string("expected a map (key: value), got ") + KindName(node.kind()));
  }
}

ConfigNode MapReader::Required(std::string_view key) {
  allowed_.emplace_back(key);
  if (node_.IsMap() && !node_.Has(key)) {
    // A misspelt key is the likelier story than a forgotten one: report the typo.
    for (const auto& present : node_.Keys()) {
      if (ClosestName(present, {std::string(key)})) {
        node_.FailAtKey(present, "unknown key '" + present + "'", std::string(key));
      }
    }
  }
  return node_.Get(key);
}

std::optional<ConfigNode> MapReader::Optional(std::string_view key) {
  allowed_.emplace_back(key);
  auto n = node_.Find(key);
  if (n && n->IsNull()) return std::nullopt;  // "key:" with nothing = not given
  return n;
}

void MapReader::Ignore(std::string_view key) { allowed_.emplace_back(key); }

void MapReader::Finish() const {
  for (const auto& key : node_.Keys()) {
    if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end()) {
      node_.FailAtKey(key, "unknown key '" + key + "'", ClosestName(key, allowed_).value_or(""));
    }
  }
}

}  // namespace fleetsim
